import { randomBytes } from 'node:crypto';
import { open, readdir, rename } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { LakeTableName } from '../../columns.js';
import { LAKE_PREFIXES, localPath } from '../../layout.js';
import { tempPathFor } from '../atomic-file.js';
import {
  type CompactionJournal,
  journalName,
  journalsIn,
  readJournal,
  settleJournal,
  writeJournal,
} from './compaction-journal.js';
import { ParquetMerger } from './merge-parquet.js';
import { mergedName, nextMerge } from './tier-plan.js';

/** Where a merge has got to, for tests that stop it there (as a crash would). */
export type CompactionStep = 'journaled' | 'merged' | 'published' | 'input-removed';

export interface LakeCompactorOptions {
  /** Files of a tier merged at once (tier-plan.ts). Default 4. */
  fanout?: number;
  /**
   * How long a merge's inputs stay after the merged file is in place, so a query that listed
   * them just before can still read them (the views deduplicate the overlap meanwhile).
   * Default 10 s.
   */
  retireAfterMs?: number;
  now?: () => Date;
  /** Awaited after each step of a merge (tests: a crash is a promise that never settles). */
  afterStep?: (step: CompactionStep) => Promise<void> | void;
}

export const DEFAULT_FANOUT = 4;
export const DEFAULT_RETIRE_AFTER_MS = 10_000;

/** What one compaction pass over a partition did. */
export interface PartitionCompaction {
  merges: number;
  /** Files merged into others (each stays until retired). */
  filesMerged: number;
  rowsMerged: number;
  /** Files deleted because a merged file had replaced them. */
  filesRetired: number;
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Keeps the live hour of the local lake in few files: merges a partition's small files by size
 * tier (tier-plan.ts) into larger ones, each merge all-or-nothing for readers and for a crash:
 *
 *   1. a journal naming the inputs and the merged file is written durably in the partition;
 *   2. the merged file is written under a hidden name and fsync'd;
 *   3. it is renamed into place (the rows are now in the partition twice: the views deduplicate
 *      overlapping files, so a query sees each reading once);
 *   4. after `retireAfterMs` the inputs are deleted, then the journal.
 *
 * A crash anywhere leaves the journal; recoverInterruptedCompactions settles it (merged file in
 * place: delete the inputs; not: delete the temp), leaving each row stored once. Files a
 * journal names are never merged again until it is settled. One pass at a time (the caller
 * serialises): open() is lazy, close() releases DuckDB.
 */
export class LakeCompactor {
  readonly lakeDir: string;
  private readonly fanout: number;
  private readonly retireAfterMs: number;
  private readonly now: () => Date;
  /** Journals this compactor wrote, by path, with when their inputs may go. */
  private readonly pending = new Map<string, number>();
  private merger: ParquetMerger | undefined;

  constructor(
    lakeDir: string,
    private readonly options: LakeCompactorOptions = {},
  ) {
    this.lakeDir = resolve(lakeDir);
    this.fanout = options.fanout ?? DEFAULT_FANOUT;
    this.retireAfterMs = options.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS;
    this.now = options.now ?? (() => new Date());
    if (!Number.isInteger(this.fanout) || this.fanout < 2) {
      throw new RangeError(`compaction fanout must be an integer ≥ 2, got ${this.fanout}`);
    }
  }

  /** The directory of a table's partition (`ingest_year=…/…/ingest_hour=HH`). */
  partitionDir(table: LakeTableName, partition: string): string {
    return localPath(this.lakeDir, `${LAKE_PREFIXES.curated}/${table}/${partition}`);
  }

  /** Retires what is due in the partition, then merges its tiers until none is full. */
  async compact(table: LakeTableName, partition: string): Promise<PartitionCompaction> {
    const dir = this.partitionDir(table, partition);
    const done: PartitionCompaction = { merges: 0, filesMerged: 0, rowsMerged: 0, filesRetired: 0 };
    done.filesRetired += await this.retireDue();
    for (;;) {
      const plan = nextMerge(await this.mergeable(dir), this.fanout);
      if (plan === null) return done;
      done.rowsMerged += await this.merge(table, dir, plan.inputs, plan.tier);
      done.merges += 1;
      done.filesMerged += plan.inputs.length;
    }
  }

  /** Deletes the inputs of this compactor's merges whose grace is over (all of them with `all`). */
  async retireDue(all = false): Promise<number> {
    let retired = 0;
    const now = this.now().getTime();
    for (const [path, dueAt] of [...this.pending]) {
      if (!all && dueAt > now) continue;
      const journal = await readJournal(path);
      // Gone: the hour was replayed meanwhile (the directory replaced, journal and all).
      if (journal !== null) {
        const settled = await settleJournal(resolve(path, '..'), basename(path), journal, () =>
          this.options.afterStep?.('input-removed'),
        );
        if (settled === 'replaced') retired += journal.inputs.length;
      }
      this.pending.delete(path);
    }
    return retired;
  }

  /** Visible Parquet files not named by an unsettled journal (nor being written). */
  private async mergeable(dir: string): Promise<string[]> {
    const taken = new Set<string>();
    for (const name of await journalsIn(dir)) {
      const journal = await readJournal(join(dir, name));
      if (journal === null) continue;
      taken.add(journal.output);
      for (const input of journal.inputs) taken.add(input);
    }
    return (await listNames(dir)).filter(
      (name) => name.endsWith('.parquet') && !name.startsWith('.') && !taken.has(name),
    );
  }

  private async merge(table: LakeTableName, dir: string, inputs: string[], tier: number): Promise<number> {
    const id = randomBytes(4).toString('hex');
    const output = mergedName(inputs, tier, id);
    const temp = tempPathFor(join(dir, output));
    const journalPath = join(dir, journalName(id));
    const journal: CompactionJournal = { pid: process.pid, output, temp: basename(temp), inputs };
    await writeJournal(journalPath, journal);
    await this.options.afterStep?.('journaled');
    let rows: number;
    try {
      this.merger ??= await ParquetMerger.open();
      rows = await this.merger.merge(
        table,
        inputs.map((name) => join(dir, name)),
        temp,
      );
      await this.options.afterStep?.('merged');
      await rename(temp, join(dir, output));
    } catch (error) {
      // Not in place: the inputs still hold every row; undo the merge.
      await settleJournal(dir, basename(journalPath), journal);
      throw error;
    }
    // The rename must be on disk before the inputs' deletion can be.
    await syncDirectory(dir);
    this.pending.set(journalPath, this.now().getTime() + this.retireAfterMs);
    await this.options.afterStep?.('published');
    return rows;
  }

  /** Releases DuckDB. Inputs still in their grace stay (the next start's recovery retires them). */
  close(): void {
    this.merger?.close();
    this.merger = undefined;
  }
}

function isOtherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RecoveredCompaction {
  journal: string;
  /** 'replaced': the merged file was in place, its inputs are deleted; 'abandoned': undone. */
  outcome: 'replaced' | 'abandoned';
}

/**
 * Settles the compaction journals a crash left in the lake's curated partitions (those of
 * another process still running are left to it). Call before compacting again: after it, every
 * row is stored once.
 */
export async function recoverInterruptedCompactions(lakeDir: string): Promise<RecoveredCompaction[]> {
  const curated = localPath(resolve(lakeDir), LAKE_PREFIXES.curated);
  let entries: string[];
  try {
    entries = await readdir(curated, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const recovered: RecoveredCompaction[] = [];
  for (const entry of entries.filter((name) => basename(name).startsWith('.compaction-')).sort()) {
    const path = join(curated, entry);
    const journal = await readJournal(path);
    if (journal === null || isOtherLiveProcess(journal.pid)) continue;
    const outcome = await settleJournal(resolve(path, '..'), basename(path), journal);
    recovered.push({ journal: path, outcome });
  }
  return recovered;
}
