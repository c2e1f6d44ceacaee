import { setTimeout as delay } from 'node:timers/promises';
import {
  CuratedWriteError,
  type IngestReport,
  LakeCompactor,
  type LakeCompactorOptions,
  type LocalLake,
  recoverInterruptedCompactions,
  replayFromRaw,
  replayWindow,
} from '@coffee-iot/cloud/lake';
import type { Logger } from '@coffee-iot/device';
import type { CheckpointFile, ShardCheckpoints } from '../kinesis/checkpoints.js';
import type { StreamRecord } from '../kinesis/stream-reader.js';

export interface LakeWriterOptions {
  lake: LocalLake;
  checkpoints: CheckpointFile;
  logger: Logger;
  /**
   * How long records gather before one lake write. Each write makes a Parquet file per table,
   * and a query pays per file: the live hour's files are merged by size tier as they come
   * (`compaction`), and each closed hour is rebuilt into few files by a replay.
   */
  flushMs: number;
  /** How the live hour's files are merged (LakeCompactor); false: not at all. */
  compaction?: Omit<LakeCompactorOptions, 'now'> | false;
  /** Past this many buffered records the reader waits for a write (memory stays bounded). */
  maxBuffered: number;
  now?: () => Date;
  onIngested?: (report: IngestReport) => void;
}

export interface LakeWriterCounters {
  /** Stream records taken (landed, duplicate or refused: each is in one of the lake's outputs). */
  recordsWritten: number;
  writes: number;
  /** Entries written to errors/: whole records and single readings. */
  rejected: number;
  /** Of `rejected`, single readings refused while their envelope's other readings landed. */
  rejectedReadings: number;
  /** Of `rejected`, records whose deviceId is not the thing of the topic they came from. */
  identityMismatches: number;
  duplicateReadings: number;
  failedWrites: number;
  compactedHours: number;
  /** Merges of the live hour's files, the files merged, and the files deleted once merged. */
  merges: number;
  filesMerged: number;
  filesRetired: number;
  /** Merges (or retirements) that failed: the files stay as written, each reading still once. */
  failedCompactions: number;
}

const HOUR_MS = 3_600_000;

/**
 * The lake's consumer of the ingest stream, the local stand-in for Firehose or the Glue job:
 * buffers records, writes them in batches, then checkpoints the stream positions they came from.
 * When the hour turns it compacts the hour just closed (replay from the raw archive).
 */
export class LakeWriter {
  readonly counters: LakeWriterCounters = {
    recordsWritten: 0,
    writes: 0,
    rejected: 0,
    rejectedReadings: 0,
    identityMismatches: 0,
    duplicateReadings: 0,
    failedWrites: 0,
    compactedHours: 0,
    merges: 0,
    filesMerged: 0,
    filesRetired: 0,
    failedCompactions: 0,
  };
  private buffer: StreamRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Writes and compactions run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private lastHour: number;
  private stopped = false;
  private readonly now: () => Date;
  private readonly compactor: LakeCompactor | undefined;

  constructor(private readonly options: LakeWriterOptions) {
    this.now = options.now ?? (() => new Date());
    this.lastHour = Math.floor(this.now().getTime() / HOUR_MS);
    if (options.compaction !== false) {
      this.compactor = new LakeCompactor(options.lake.lakeDir, { ...options.compaction, now: this.now });
    }
  }

  start(): void {
    // A failed write was logged and counted by write(); the next tick tries again.
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.options.flushMs);
    // Merges a crash interrupted are settled first (each row stored once again), then hours
    // closed while the stack was down (or a crash mid-hour) are compacted.
    void this.enqueue(() => this.recoverCompactions());
    void this.enqueue(() => this.compactBefore(this.lastHour, 2));
  }

  /** Takes records from the stream reader; waits for a write when the buffer is full. */
  async accept(records: StreamRecord[]): Promise<void> {
    for (const record of records) this.buffer.push(record);
    while (this.buffer.length >= this.options.maxBuffered && !this.stopped) {
      // A failed write was logged and counted by write(); the records wait in the buffer.
      await this.flush().catch(() => delay(1000));
    }
  }

  /** Writes everything buffered now (and waits for earlier writes). */
  flush(): Promise<void> {
    return this.enqueue(() => this.write());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      // A clean stop leaves no merged-away files behind (nothing queries a stopped stack's lake
      // through a listing made before).
      await this.enqueue(() => this.retire(true));
      this.compactor?.close();
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    // The queue goes on after a failed step; the step has logged and counted its own failure.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    if (this.buffer.length === 0) {
      await this.retire(false);
      return this.compactIfHourTurned();
    }
    const batch = this.buffer;
    this.buffer = [];
    let report: IngestReport;
    try {
      report = await this.options.lake.ingest(
        batch.map(({ partitionKey, data }) => ({ partitionKey, data })),
      );
    } catch (error) {
      this.counters.failedWrites += 1;
      if (error instanceof CuratedWriteError) {
        // The raw archive has the batch: it is safe and a replay of its hour rebuilds the tables.
        this.options.logger.error(
          { err: error, records: batch.length },
          'lake tables not written (raw archive kept); run coffee-iot replay for this hour',
        );
        await this.options.checkpoints.save(lastPositions(batch));
        return;
      }
      // Nothing written: the records go back to the front of the buffer for the next write.
      this.buffer = batch.concat(this.buffer);
      this.options.logger.error({ err: error, records: batch.length }, 'lake write failed; retrying');
      throw error;
    }
    await this.options.checkpoints.save(lastPositions(batch));
    this.counters.writes += 1;
    this.counters.recordsWritten += batch.length;
    this.counters.rejected += report.rejected;
    this.counters.rejectedReadings += report.rejectedReadings;
    this.counters.identityMismatches += report.identityMismatches;
    this.counters.duplicateReadings += report.duplicateReadings;
    if (report.rejected > 0) {
      this.options.logger.warn(
        {
          rejected: report.rejected,
          rejectedReadings: report.rejectedReadings,
          identityMismatches: report.identityMismatches,
        },
        'records or readings refused by the lake (see lake/errors/)',
      );
    }
    this.options.onIngested?.(report);
    await this.mergeWritten(report);
    await this.compactIfHourTurned();
  }

  /** Merges the tiers of the partitions a write added files to (the live hour, nearly always). */
  private async mergeWritten(report: IngestReport): Promise<void> {
    if (this.compactor === undefined) return;
    const partitions = new Set<string>();
    for (const file of report.files) {
      if (file.table !== 'errors') partitions.add(`${file.table}\t${file.partition}`);
    }
    for (const entry of partitions) {
      const [table, partition] = entry.split('\t') as ['telemetry' | 'coffees', string];
      try {
        const done = await this.compactor.compact(table, partition);
        this.counters.merges += done.merges;
        this.counters.filesMerged += done.filesMerged;
        this.counters.filesRetired += done.filesRetired;
      } catch (error) {
        this.counters.failedCompactions += 1;
        this.options.logger.error(
          { err: error, table, partition },
          'lake merge failed; the files stay as written (each reading is still read once)',
        );
      }
    }
  }

  /** Deletes files merged away whose grace is over (all of them with `all`). */
  private async retire(all: boolean): Promise<void> {
    if (this.compactor === undefined) return;
    try {
      this.counters.filesRetired += await this.compactor.retireDue(all);
    } catch (error) {
      this.counters.failedCompactions += 1;
      this.options.logger.error({ err: error }, 'deleting merged lake files failed; retrying later');
    }
  }

  private async recoverCompactions(): Promise<void> {
    try {
      const recovered = await recoverInterruptedCompactions(this.options.lake.lakeDir);
      if (recovered.length > 0) {
        this.options.logger.info({ recovered }, 'interrupted lake merges settled');
      }
    } catch (error) {
      this.counters.failedCompactions += 1;
      this.options.logger.error(
        { err: error },
        'settling interrupted lake merges failed; the views deduplicate meanwhile',
      );
    }
  }

  private async compactIfHourTurned(): Promise<void> {
    const hour = Math.floor(this.now().getTime() / HOUR_MS);
    if (hour === this.lastHour) return;
    this.lastHour = hour;
    // The closed hour's merged-away files go before its replay counts what it replaces.
    await this.retire(true);
    await this.compactBefore(hour, 1);
  }

  /** Rebuilds the `hours` ingest hours before `hour` from the raw archive, as few large files. */
  private async compactBefore(hour: number, hours: number): Promise<void> {
    const window = replayWindow(new Date((hour - hours) * HOUR_MS), new Date(hour * HOUR_MS));
    try {
      const report = await replayFromRaw(this.options.lake.lakeDir, window);
      this.counters.compactedHours += report.hours.length;
      if (report.hours.length > 0) {
        this.options.logger.info({ hours: report.hours.map((h) => h.hour) }, 'lake hours compacted');
      }
    } catch (error) {
      this.options.logger.error(
        { err: error, from: window.from },
        'lake compaction failed; files stay as written',
      );
    }
  }
}

function lastPositions(batch: readonly StreamRecord[]): ShardCheckpoints {
  const positions: ShardCheckpoints = {};
  for (const record of batch) positions[record.shardId] = record.sequenceNumber;
  return positions;
}
