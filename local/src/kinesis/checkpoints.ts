import { readFile, rename, writeFile } from 'node:fs/promises';

/** The last sequence number per shard whose record is safely in the lake. */
export type ShardCheckpoints = Record<string, string>;

/**
 * Where the stream reader resumes after a restart, like a Kinesis consumer's lease table. Saved
 * only after the lake has the records (write + rename, so a crash leaves the old or the new file);
 * records read again after a crash are dropped as duplicates by the lake's views.
 */
export class CheckpointFile {
  private saved: ShardCheckpoints = {};

  constructor(private readonly path: string) {}

  async load(): Promise<ShardCheckpoints> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      // JSON.parse names neither the file nor what to do: a half-written file from another tool?
      throw new Error(`${this.path} is not a checkpoint file (not JSON: ${(error as Error).message})`, {
        cause: error,
      });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`${this.path} is not a checkpoint file (expected {"shardId": "sequenceNumber"})`);
    }
    for (const [shard, sequence] of Object.entries(parsed)) {
      if (typeof sequence !== 'string' || !/^\d+$/.test(sequence)) {
        throw new Error(`${this.path}: shard ${shard} has no valid sequence number`);
      }
    }
    this.saved = parsed as ShardCheckpoints;
    return { ...this.saved };
  }

  /** Merges newer positions in and writes the file. */
  async save(positions: ShardCheckpoints): Promise<void> {
    const next = { ...this.saved };
    for (const [shard, sequence] of Object.entries(positions)) {
      const previous = next[shard];
      if (previous === undefined || BigInt(sequence) > BigInt(previous)) next[shard] = sequence;
    }
    const temp = `${this.path}.tmp`;
    await writeFile(temp, `${JSON.stringify(next)}\n`);
    await rename(temp, this.path);
    this.saved = next;
  }
}
