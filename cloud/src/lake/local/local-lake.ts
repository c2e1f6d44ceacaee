import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { IngestRecord } from '../../stream/ingest-stream.js';
import { partitionValuesOf } from '../layout.js';
import { emptyTransformOutput, SeenReadings } from '../transform.js';
import type { IngestInput } from '../transform-types.js';
import { BatchFileError, type WrittenFile, writeBatchOutput } from './batch-output.js';
import { transformColumnsCooperatively } from './cooperative-transform.js';
import { CuratedWriteError, LocalLakeClosedError } from './lake-errors.js';
import { ParquetWriter } from './parquet-writer.js';
import { recoverInterruptedReplays } from './partition-swap.js';
import { compressRawBatch, encodeRawBatch, rawFileOf, rawRecordId, writeRawFile } from './raw-archive.js';
import { RawBodyBuffers } from './raw-body-buffers.js';
import { TelemetryColumnPool } from './telemetry-column-pool.js';

export interface LocalLakeOptions {
  /** The arrival time of records given without one. Default: the wall clock. */
  now?: () => Date;
  /**
   * How many reading keys (and photo keys) to remember across batches for dropping duplicates
   * as they are written; past it the memory starts over (some tens of MB per million). The
   * views deduplicate on read in any case: this only keeps duplicates out of the files.
   */
  rememberedKeys?: number;
}

export const DEFAULT_REMEMBERED_KEYS = 500_000;

/** What one ingest call did. */
export interface IngestReport {
  /** Records given. */
  records: number;
  telemetryRows: number;
  coffeeRows: number;
  /**
   * Entries in errors/, each with its reason: whole records refused, and single readings refused
   * while their envelope's other readings landed (`rejectedReadings` of them).
   */
  rejected: number;
  /** Of `rejected`, the single readings. */
  rejectedReadings: number;
  /** Of `rejected`, the records whose deviceId is not the thing of the topic they came from. */
  identityMismatches: number;
  /** Readings and coffees left out as already seen (within the batch or an earlier one). */
  duplicateReadings: number;
  duplicateCoffees: number;
  /** Lake keys of the raw archive files written (one per arrival time in the call). */
  rawFiles: string[];
  /** The curated and error files written. */
  files: WrittenFile[];
}

function emptyReport(): IngestReport {
  return {
    records: 0,
    telemetryRows: 0,
    coffeeRows: 0,
    rejected: 0,
    rejectedReadings: 0,
    identityMismatches: 0,
    duplicateReadings: 0,
    duplicateCoffees: 0,
    rawFiles: [],
    files: [],
  };
}

interface ArrivalGroup {
  arrivedAt: Date;
  data: Uint8Array[];
  /** Each record's Kinesis partition key where known: the transform checks it against the device. */
  partitionKeys: (string | undefined)[];
}

function isIngestInput(record: IngestRecord | IngestInput): record is IngestInput {
  return (record as IngestInput).arrivedAt instanceof Date;
}

/** Records by arrival time (to the millisecond): each arrival becomes one raw file. */
function byArrival(records: readonly (IngestRecord | IngestInput)[], arrivedAt: Date): ArrivalGroup[] {
  const groups = new Map<number, ArrivalGroup>();
  for (const record of records) {
    const at = isIngestInput(record) ? record.arrivedAt : arrivedAt;
    if (Number.isNaN(at.getTime())) throw new RangeError('an ingest record has an invalid arrival time');
    let group = groups.get(at.getTime());
    if (group === undefined) {
      group = { arrivedAt: at, data: [], partitionKeys: [] };
      groups.set(at.getTime(), group);
    }
    group.data.push(record.data);
    group.partitionKeys.push(record.partitionKey);
  }
  return [...groups.values()].sort((a, b) => a.arrivedAt.getTime() - b.arrivedAt.getTime());
}

/**
 * The local stack's lake: what Kinesis → Firehose/Glue → S3 does in AWS, on a directory with
 * DuckDB writing the Parquet (../layout.ts). Each batch is archived raw first (durably), then
 * transformed by the same function as in AWS, and written as curated Parquet and errors/.
 * open() / close().
 */
export class LocalLake {
  private seenReadings = new SeenReadings();
  private seenCoffees = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly rawBodies = new RawBodyBuffers();
  private readonly telemetryColumns = new TelemetryColumnPool();
  private closed = false;

  private constructor(
    readonly lakeDir: string,
    private readonly writer: ParquetWriter,
    private readonly now: () => Date,
    private readonly rememberedKeys: number,
  ) {}

  /** Opens (creating) the lake directory, finishing any replay a crash interrupted. */
  static async open(lakeDir: string, options: LocalLakeOptions = {}): Promise<LocalLake> {
    const dir = resolve(lakeDir);
    await mkdir(dir, { recursive: true });
    await recoverInterruptedReplays(dir);
    const writer = await ParquetWriter.open();
    return new LocalLake(
      dir,
      writer,
      options.now ?? (() => new Date()),
      options.rememberedKeys ?? DEFAULT_REMEMBERED_KEYS,
    );
  }

  /**
   * Ingests a batch. Stream records (IngestRecord) arrive at `arrivedAt`, default now;
   * IngestInputs keep their own arrival time. Resolves when the raw archive, the curated files
   * and errors/ are written. Throws RawArchiveWriteError when nothing was written (retry the
   * batch), CuratedWriteError when the raw archive was (replay its hour).
   */
  ingest(
    records: readonly IngestRecord[] | readonly IngestInput[],
    arrivedAt: Date = this.now(),
  ): Promise<IngestReport> {
    if (this.closed) return Promise.reject(new LocalLakeClosedError());
    let groups: ArrivalGroup[];
    try {
      groups = byArrival(records, arrivedAt);
    } catch (error) {
      return Promise.reject(error);
    }
    const work = this.ingestGroups(groups);
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async ingestGroups(groups: ArrivalGroup[]): Promise<IngestReport> {
    const report = emptyReport();
    for (const group of groups) {
      const one = await this.ingestGroup(group);
      report.records += one.records;
      report.telemetryRows += one.telemetryRows;
      report.coffeeRows += one.coffeeRows;
      report.rejected += one.rejected;
      report.rejectedReadings += one.rejectedReadings;
      report.identityMismatches += one.identityMismatches;
      report.duplicateReadings += one.duplicateReadings;
      report.duplicateCoffees += one.duplicateCoffees;
      report.rawFiles.push(...one.rawFiles);
      report.files.push(...one.files);
    }
    return report;
  }

  private async ingestGroup(group: ArrivalGroup): Promise<IngestReport> {
    const raw = rawFileOf(this.lakeDir, group.arrivedAt, randomUUID());
    const encoded = encodeRawBatch(group.data, this.rawBodies);
    // Compressing runs on the thread pool while the transform runs here; the raw file is on disk
    // before any curated file of the batch is written.
    const compressed = compressRawBatch(encoded);
    compressed.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    // The raw archive keeps the bytes only (as Firehose's does in AWS): a replay checks the
    // identity against the topic's `thing` the rule put in the record.
    const inputs: IngestInput[] = encoded.lines.map((data, i) => ({
      id: rawRecordId(raw, i + 1),
      data,
      arrivedAt: group.arrivedAt,
      partitionKey: group.partitionKeys[i],
    }));
    // Telemetry straight into columns: no row object per reading for the Parquet writer to read back.
    const output = { ...emptyTransformOutput(), telemetry: this.telemetryColumns.take() };
    let files: WrittenFile[];
    let telemetryRows: number;
    try {
      // The current sets at every slice: a failure elsewhere may have replaced them meanwhile.
      await transformColumnsCooperatively(
        inputs,
        () => ({ seenReadings: this.seenReadings, seenCoffees: this.seenCoffees }),
        undefined,
        output,
      );
      await writeRawFile(raw, await compressed);
      files = await writeBatchOutput(
        { root: this.lakeDir, writer: this.writer },
        raw.stem,
        output,
        group.arrivedAt,
        partitionValuesOf(group.arrivedAt),
      );
      telemetryRows = output.telemetry.rows;
    } catch (error) {
      // The keys of this batch are remembered but its rows may not be written: forget them all,
      // or a retry of the batch would be dropped as duplicates.
      this.forgetSeenKeys();
      if (error instanceof BatchFileError) {
        throw new CuratedWriteError(raw.key, error.key, { cause: error.cause });
      }
      throw error;
    } finally {
      // Every write of the batch has settled (writeBatchOutput waits for all): nothing reads them.
      this.telemetryColumns.give(output.telemetry);
    }
    if (this.seenReadings.size + this.seenCoffees.size > this.rememberedKeys) this.forgetSeenKeys();
    return {
      records: inputs.length,
      telemetryRows,
      coffeeRows: output.coffees.length,
      rejected: output.rejected.length,
      rejectedReadings: output.rejectedReadings,
      identityMismatches: output.identityMismatches,
      duplicateReadings: output.duplicateReadings,
      duplicateCoffees: output.duplicateCoffees,
      rawFiles: [raw.key],
      files,
    };
  }

  private forgetSeenKeys(): void {
    this.seenReadings = new SeenReadings();
    this.seenCoffees = new Set();
  }

  /** Waits for the batches under way, then releases DuckDB. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await this.writer.close();
  }
}

/** openLocalLake(dir) = LocalLake.open(dir): what the local stack and `coffee-iot import` call. */
export function openLocalLake(lakeDir: string, options: LocalLakeOptions = {}): Promise<LocalLake> {
  return LocalLake.open(lakeDir, options);
}
