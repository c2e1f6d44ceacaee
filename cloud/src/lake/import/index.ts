export { CSV_COLUMNS, type CsvColumn, columnForHeader } from './csv-format.js';
export { type CsvLayout, resolveHeader } from './csv-header.js';
export { type CsvImportHandlerConfig, readCsvImportConfig } from './csv-import-config.js';
export { readCsvRowsWithParser } from './csv-parse-rows.js';
export {
  CsvReadingBuilder,
  EARLIEST_READING_MS,
  FUTURE_TOLERANCE_MS,
  type RowOutcome,
} from './csv-reading.js';
export { type ByteCount, type CsvReadResult, type CsvRow, readCsvRows } from './csv-rows.js';
export { EPOCH_SECONDS_BELOW, parseCsvTimestamp, type TimestampResult } from './csv-timestamp.js';
export { DEFAULT_ENVELOPE_LIMITS, EnvelopeBatcher, type EnvelopeLimits } from './envelope-batcher.js';
export { type ImportCsvOptions, importCsv } from './import-csv.js';
export {
  type HeaderProblems,
  ImportHeaderError,
  ImportInterruptedError,
  ImportInvariantError,
} from './import-errors.js';
export { derivedSeq, IMPORT_BOOT_ID_NAMESPACE, importBootId, uuidV5 } from './import-identity.js';
export {
  type DeviceImportSummary,
  type ImportProgress,
  type ImportReport,
  importedEverything,
  type RefusedLine,
  type StoppedAt,
} from './import-report.js';
export { IMPORT_RETRY_POLICY } from './import-retry.js';
export {
  type CsvImportDeps,
  type CsvImportEventSummary,
  type CsvImportOutcome,
  handleCsvImportEvent,
  IMPORT_PREFIX,
  IMPORT_REPORT_PREFIX,
  type ImportKeyDecision,
  type ImportReportDocument,
  importKeyDecision,
} from './s3-csv-import.js';
export {
  createS3ImportStore,
  type ImportObjectStore,
  ImportStoreUnavailableError,
  type OpenedImport,
} from './s3-import-store.js';
