import type { IngestStream } from '../../stream/ingest-stream.js';
import { type CsvLayout, resolveHeader } from './csv-header.js';
import { CsvReadingBuilder } from './csv-reading.js';
import { type ByteCount, type CsvRow, readCsvRows } from './csv-rows.js';
import { EnvelopeBatcher, type EnvelopeLimits } from './envelope-batcher.js';
import { ImportHeaderError, ImportInterruptedError } from './import-errors.js';
import type { ImportProgress, ImportReport, RefusedLine, StoppedAt } from './import-report.js';
import { ImportTally } from './import-tally.js';

export interface ImportCsvOptions {
  /** Called every `progressEveryLines` data rows and once at the end. */
  onProgress?(progress: ImportProgress): void;
  /** Called for every refused row in file order, beyond `maxRefusedDetails` too (`--report FILE`). */
  onRefused?(refused: RefusedLine): void;
  /** The source's size, passed through to progress. */
  totalBytes?: number;
  /** Refused rows kept in the report's `refusedLines`; the rest are counted. Default 100. */
  maxRefusedDetails?: number;
  /** Default 1,000. */
  progressEveryLines?: number;
  /** The importer's clock: readings more than a day after it are refused. */
  now?: () => Date;
  envelopeLimits?: Partial<EnvelopeLimits>;
}

/**
 * Backfills telemetry from a CSV (format: csv-format.ts) into the ingest stream. Streams the
 * source (never holds the file), refuses bad rows with their line number and reason, sends the good
 * ones as telemetry envelopes in PutRecords-sized batches, and resolves with the report once the
 * stream has accepted every reading. Importing the same file again sends identical records
 * (import-identity.ts), which the lake's dedupe on (deviceId, seq) keeps once.
 *
 * Throws ImportHeaderError (nothing sent) when the header is wrong or missing, and
 * ImportInterruptedError (with the report so far) when the source or the stream fails part-way.
 */
export async function importCsv(
  source: NodeJS.ReadableStream,
  stream: IngestStream,
  options: ImportCsvOptions = {},
): Promise<ImportReport> {
  const batcher = new EnvelopeBatcher(stream, options.envelopeLimits);
  const counter: ByteCount = { bytes: 0 };
  const tally = new ImportTally(options.maxRefusedDetails ?? 100, options.onRefused);
  const every = Math.max(1, options.progressEveryLines ?? 1_000);
  const nowMs = (options.now ?? (() => new Date()))().getTime();
  const progress = (): ImportProgress => ({
    bytesRead: counter.bytes,
    ...(options.totalBytes === undefined ? {} : { totalBytes: options.totalBytes }),
    lines: tally.lines,
    accepted: tally.accepted,
    refused: tally.refused,
  });
  let builder: CsvReadingBuilder | undefined;
  const lastSeq = new Map<string, { seq: number; line: number }>();

  // Synchronous but for a full batch: then it returns the send for the reader to await.
  const onRow = (row: CsvRow): Promise<void> | undefined => {
    if (builder === undefined) {
      builder = new CsvReadingBuilder(headerLayout(row), nowMs);
      return undefined;
    }
    let sending: Promise<void> | undefined;
    const outcome = row.endLine > row.line ? spansLines(row) : builder.build(row.fields);
    if (!outcome.ok) {
      tally.refuse(row.line, outcome.reason);
    } else {
      const { deviceId, bootId, seq, ts, json } = outcome;
      // The same (device, seq) twice in a row is one reading the lake would keep only once: say so
      // rather than let the dedupe drop it quietly. (Non-adjacent repeats are left to the dedupe;
      // catching them all would mean remembering every seq of the file.)
      const previous = lastSeq.get(deviceId);
      if (previous !== undefined && previous.seq === seq) {
        tally.refuse(
          row.line,
          `repeats device ${deviceId} seq ${seq} (ts ${ts}) of line ${previous.line}: the lake keeps one reading per device and seq`,
        );
      } else {
        lastSeq.set(deviceId, { seq, line: row.line });
        tally.accept(deviceId, bootId, ts);
        sending = batcher.add(deviceId, bootId, json);
      }
    }
    if (tally.lines % every === 0) options.onProgress?.(progress());
    return sending;
  };

  let stoppedAt: StoppedAt | null;
  try {
    ({ stoppedAt } = await readCsvRows(source, onRow, counter));
    if (builder === undefined) throw noHeader(stoppedAt);
    await batcher.flush();
  } catch (error) {
    if (error instanceof ImportHeaderError) throw error;
    const report = tally.report(counter.bytes, batcher.counts, null);
    // Only what the stream took counts as accepted in an interrupted import (a batch the stream
    // partly took counts as not sent: the count errs low, never high). `devices` still describes
    // the rows read.
    report.accepted = batcher.counts.readingsSent;
    throw new ImportInterruptedError(
      `import stopped after ${tally.lines} line(s), ${batcher.counts.readingsSent} reading(s) sent: ` +
        `${error instanceof Error ? error.message : String(error)}; importing the file again is safe ` +
        '(readings already sent are not added twice)',
      { cause: error, report },
    );
  }
  options.onProgress?.(progress());
  return tally.report(counter.bytes, batcher.counts, stoppedAt);
}

function headerLayout(row: CsvRow): CsvLayout {
  if (row.endLine > row.line) {
    throw new ImportHeaderError({
      missing: [],
      unknown: [],
      other: [`the header row spans lines ${row.line}-${row.endLine} (a quoted name holds a line break)`],
    });
  }
  return resolveHeader(row.fields);
}

function spansLines(row: CsvRow): { ok: false; reason: string } {
  // No field of the format can hold a line break; this is nearly always a stray quote.
  return {
    ok: false,
    reason: `record spans lines ${row.line}-${row.endLine} (a quoted field holds a line break)`,
  };
}

function noHeader(stoppedAt: StoppedAt | null): ImportHeaderError {
  const other = stoppedAt
    ? [`the header row cannot be read: ${stoppedAt.reason}`]
    : ['the file is empty: a header row naming the columns is required'];
  return new ImportHeaderError({ missing: [], unknown: [], other });
}
