import type { Logger } from '../../logging/logger.js';
import { type CreatedObject, parseS3Event } from '../../photos/s3-event.js';
import type { IngestStream } from '../../stream/ingest-stream.js';
import { importCsv } from './import-csv.js';
import { ImportHeaderError } from './import-errors.js';
import { type ImportReport, importedEverything } from './import-report.js';
import type { ImportObjectStore } from './s3-import-store.js';

export const IMPORT_PREFIX = 'imports/';
export const IMPORT_REPORT_PREFIX = 'imports/reports/';

export interface CsvImportDeps {
  store: ImportObjectStore;
  stream: IngestStream;
  logger: Logger;
  now: () => Date;
  /** Refused lines listed in the report object (all are counted). Default 10,000. */
  maxRefusedDetails?: number;
}

/** What lands at `imports/reports/{name}.json`, so nobody has to read logs to learn what was refused. */
export interface ImportReportDocument {
  source: string;
  /** `rejected`: the header is wrong and nothing was sent; fix the file and upload it again. */
  status: 'imported' | 'imported-with-refusals' | 'rejected';
  startedAt: string;
  finishedAt: string;
  report: ImportReport | null;
  error: { message: string; missing: readonly string[]; unknown: readonly string[] } | null;
}

export interface CsvImportOutcome {
  key: string;
  reportKey: string;
  status: ImportReportDocument['status'];
  accepted: number;
  refused: number;
}

export interface CsvImportEventSummary {
  imports: CsvImportOutcome[];
  skipped: { key: string | null; reason: string }[];
}

export type ImportKeyDecision = { import: true; reportKey: string } | { import: false; reason: string };

/** Which keys are imports, and where each one's report goes (`imports/a/b.csv` → `imports/reports/a/b.json`). */
export function importKeyDecision(key: string): ImportKeyDecision {
  if (!key.startsWith(IMPORT_PREFIX)) return { import: false, reason: `not under ${IMPORT_PREFIX}` };
  // The reports live under imports/ too; never read one back as an import.
  if (key.startsWith(IMPORT_REPORT_PREFIX)) return { import: false, reason: `under ${IMPORT_REPORT_PREFIX}` };
  if (!key.toLowerCase().endsWith('.csv')) return { import: false, reason: 'not a .csv file' };
  return { import: true, reportKey: `${IMPORT_REPORT_PREFIX}${key.slice(IMPORT_PREFIX.length, -4)}.json` };
}

/**
 * The CSV import Lambda's body. Imports each created `imports/*.csv` into the ingest stream and
 * writes its report next to it. Skips other keys with a logged reason. Throws on what a retry can
 * fix (S3 or the stream failing): re-importing is harmless, the records are the same each time.
 * A wrong header is not retried: it is written to the report as `rejected`.
 */
export async function handleCsvImportEvent(
  event: unknown,
  deps: CsvImportDeps,
): Promise<CsvImportEventSummary> {
  const { objects, skipped: ignored } = parseS3Event(event);
  const summary: CsvImportEventSummary = {
    imports: [],
    skipped: ignored.map((record) => ({ key: null, reason: record.reason })),
  };
  for (const record of ignored) {
    deps.logger.warn({ recordIndex: record.index, reason: record.reason }, 'S3 event record ignored');
  }
  for (const object of objects) {
    const decision = importKeyDecision(object.key);
    if (!decision.import) {
      deps.logger.info({ bucket: object.bucket, key: object.key, reason: decision.reason }, 'object skipped');
      summary.skipped.push({ key: object.key, reason: decision.reason });
      continue;
    }
    const outcome = await importObject(object, decision.reportKey, deps);
    if (outcome === null) summary.skipped.push({ key: object.key, reason: 'object no longer exists' });
    else summary.imports.push(outcome);
  }
  return summary;
}

async function importObject(
  object: CreatedObject,
  reportKey: string,
  deps: CsvImportDeps,
): Promise<CsvImportOutcome | null> {
  const { bucket, key } = object;
  const startedAt = deps.now().toISOString();
  const opened = await deps.store.open(bucket, key);
  if (opened === null) {
    deps.logger.warn({ bucket, key }, 'import file gone before it could be read: skipped');
    return null;
  }
  let document: ImportReportDocument;
  try {
    const report = await importCsv(opened.body, deps.stream, {
      now: deps.now,
      maxRefusedDetails: deps.maxRefusedDetails ?? 10_000,
      ...(opened.sizeBytes === undefined ? {} : { totalBytes: opened.sizeBytes }),
    });
    document = {
      source: `s3://${bucket}/${key}`,
      status: importedEverything(report) ? 'imported' : 'imported-with-refusals',
      startedAt,
      finishedAt: deps.now().toISOString(),
      report,
      error: null,
    };
  } catch (error) {
    opened.body.destroy();
    if (!(error instanceof ImportHeaderError)) throw error;
    document = {
      source: `s3://${bucket}/${key}`,
      status: 'rejected',
      startedAt,
      finishedAt: deps.now().toISOString(),
      report: null,
      error: { message: error.message, missing: error.missing, unknown: error.unknown },
    };
  }
  await deps.store.putJson(bucket, reportKey, `${JSON.stringify(document, null, 2)}\n`);
  const outcome: CsvImportOutcome = {
    key,
    reportKey,
    status: document.status,
    accepted: document.report?.accepted ?? 0,
    refused: document.report?.refused ?? 0,
  };
  deps.logger.info(
    {
      bucket,
      ...outcome,
      records: document.report?.records ?? 0,
      stoppedAt: document.report?.stoppedAt ?? null,
    },
    'csv import done',
  );
  return outcome;
}
