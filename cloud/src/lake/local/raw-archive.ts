import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import { localPath, partitionValuesOf, rawPartitionKey } from '../layout.js';
import type { IngestInput } from '../transform-types.js';
import { writeFileAtomically } from './atomic-file.js';
import { hoursTouched, type TimeWindow } from './hour-window.js';
import { RawArchiveReadError, RawArchiveWriteError } from './lake-errors.js';
import type { RawBodyBuffers } from './raw-body-buffers.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * The raw archive: every batch exactly as it arrived, before any transform, so a changed
 * transform can be replayed over it. One gzip file per batch,
 * `raw/{ingest partition of the arrival}/{arrivalMs}-{id}.json.gz`, holding one ingest record per
 * line (NDJSON). The arrival time lives in the name: replay gives every record the ingest_time
 * the live transform gave it.
 */
const RAW_NAME = /^(\d{1,15})-([0-9A-Za-z-]{1,64})\.json\.gz$/;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;

export interface RawFile {
  /** The lake key, `raw/ingest_year=…/…/{name}` (forward slashes). */
  readonly key: string;
  readonly path: string;
  /** `{arrivalMs}-{id}`: the curated and error files of the batch carry the same stem. */
  readonly stem: string;
  readonly arrivedAt: Date;
}

export function rawFileOf(lakeDir: string, arrivedAt: Date, id: string): RawFile {
  const stem = `${arrivedAt.getTime()}-${id}`;
  const key = `${rawPartitionKey(partitionValuesOf(arrivedAt))}/${stem}.json.gz`;
  return { key, path: localPath(lakeDir, key), stem, arrivedAt };
}

/** How a record is named in the transform's output and in errors/: where it is in the archive. */
export function rawRecordId(file: RawFile, line: number): string {
  return `${file.key}:${line}`;
}

/**
 * One line per record. A line break inside a record's bytes can only be JSON whitespace (JSON
 * strings escape them), so it becomes a space: the same JSON, on one line. A record that is not
 * JSON at all is refused either way; its error text then shows spaces there.
 */
function oneLine(data: Uint8Array): Uint8Array {
  // Buffer's indexOf is memchr in C++: six times faster than Uint8Array's over a batch.
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.indexOf(NEWLINE) === -1 && bytes.indexOf(CARRIAGE_RETURN) === -1) return data;
  const copy = Uint8Array.from(data);
  for (let i = 0; i < copy.length; i += 1) {
    if (copy[i] === NEWLINE || copy[i] === CARRIAGE_RETURN) copy[i] = SPACE;
  }
  return copy;
}

export interface EncodedRawBatch {
  /** The NDJSON text: every line followed by `\n`. Borrowed from `buffers` when given. */
  readonly body: Buffer;
  /**
   * Each record on one line (without its `\n`): the bytes the transform gets. The record's own
   * bytes when it had no line break, so they outlive `body`, which goes back to its pool.
   */
  readonly lines: Uint8Array[];
  /** Gives `body` back to the pool it was borrowed from, if any: compressRawBatch calls it. */
  readonly release: () => void;
}

const NOTHING_TO_RELEASE = () => {};

export function encodeRawBatch(records: readonly Uint8Array[], buffers?: RawBodyBuffers): EncodedRawBatch {
  const lines = records.map(oneLine);
  let bytes = 0;
  for (const line of lines) bytes += line.byteLength + 1;
  const whole = buffers === undefined ? Buffer.allocUnsafe(bytes) : buffers.take(bytes);
  let at = 0;
  for (const line of lines) {
    whole.set(line, at);
    at += line.byteLength;
    whole[at] = NEWLINE;
    at += 1;
  }
  const body = whole.length === bytes ? whole : whole.subarray(0, bytes);
  const release = buffers === undefined ? NOTHING_TO_RELEASE : () => buffers.give(whole);
  return { body, lines, release };
}

/** gzip's output chunk: about the whole compressed batch in one (JSON compresses to a tenth or less). */
function outputChunkBytes(inputBytes: number): number {
  return Math.min(Math.max(inputBytes >> 3, 16 * 1024), 4 * 1024 * 1024);
}

/**
 * gzip level 1: the archive is written for every batch and read only on replay; level 1 is
 * about three times faster than zlib's default on our JSON for a file a tenth bigger. It runs
 * on libuv's thread pool, beside the transform, in as few output chunks as fit: each chunk
 * costs a round trip through the JS thread (zlib's default 16 KB took 0.1 CPU s per 200,000
 * readings). The body goes back to its pool once compressed, whether or not that succeeded.
 */
export async function compressRawBatch(batch: EncodedRawBatch): Promise<Buffer> {
  try {
    return await gzipAsync(batch.body, {
      level: 1,
      strategy: constants.Z_DEFAULT_STRATEGY,
      chunkSize: outputChunkBytes(batch.body.byteLength),
    });
  } finally {
    batch.release();
  }
}

/** Writes the compressed batch durably (fsync): after this the batch can always be replayed. */
export async function writeRawFile(file: RawFile, compressed: Uint8Array): Promise<void> {
  try {
    await writeFileAtomically(file.path, compressed, { durable: true });
  } catch (cause) {
    throw new RawArchiveWriteError(file.key, { cause });
  }
}

function parseRawName(lakeDir: string, partitionKey: string, name: string): RawFile | undefined {
  const match = RAW_NAME.exec(name);
  if (match === null) return undefined;
  const arrivedAt = new Date(Number(match[1]));
  const file = rawFileOf(lakeDir, arrivedAt, match[2] as string);
  if (file.key !== `${partitionKey}/${name}`) {
    // Its arrival is in another hour than its directory: its rows would land outside the
    // partition being replayed. Only a hand-moved file does this; say so rather than guess.
    throw new RawArchiveReadError(
      `${partitionKey}/${name}`,
      `its arrival time ${arrivedAt.toISOString()} is not in the partition it is stored in`,
    );
  }
  return file;
}

/** The raw files whose arrival is in the window, oldest arrival first (then by name). */
export async function listRawFiles(lakeDir: string, window: TimeWindow): Promise<RawFile[]> {
  const files: RawFile[] = [];
  for (const hour of hoursTouched(window)) {
    const partitionKey = rawPartitionKey(hour.partition);
    let names: string[];
    try {
      names = await readdir(localPath(lakeDir, partitionKey));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const name of names) {
      const file = parseRawName(lakeDir, partitionKey, name);
      if (file === undefined) continue; // temp files (.name.tmp) and anything else that is not a batch
      const at = file.arrivedAt.getTime();
      if (at >= window.from.getTime() && at < window.to.getTime()) files.push(file);
    }
  }
  return files.sort((a, b) => a.arrivedAt.getTime() - b.arrivedAt.getTime() || (a.key < b.key ? -1 : 1));
}

/** One raw file's records, named by file and line, with the arrival time of the batch. */
export async function readRawFile(file: RawFile): Promise<IngestInput[]> {
  let body: Buffer;
  try {
    body = await gunzipAsync(await readFile(file.path));
  } catch (cause) {
    throw new RawArchiveReadError(file.key, (cause as Error).message, { cause });
  }
  const inputs: IngestInput[] = [];
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(NEWLINE, start);
    // A file cut short (written by something other than writeRawFile) still gives its last line.
    if (end === -1) end = body.length;
    inputs.push({
      id: rawRecordId(file, inputs.length + 1),
      data: body.subarray(start, end),
      arrivedAt: file.arrivedAt,
    });
    start = end + 1;
  }
  return inputs;
}

/** Every archived record that arrived in the window, in arrival order, with its arrival time. */
export async function* readRawArchive(lakeDir: string, window: TimeWindow): AsyncGenerator<IngestInput> {
  for (const file of await listRawFiles(lakeDir, window)) yield* await readRawFile(file);
}
