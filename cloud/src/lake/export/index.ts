// The daily enriched export: locally with DuckDB (exportDay), in AWS as Athena SQL run by a Step
// Functions state machine (buildExportStateMachineDefinition, deployed by infra).
export {
  type AthenaExportOptions,
  type AthenaExportQueries,
  athenaExportKeys,
  buildAthenaExportQueries,
  buildAthenaExportQueryTemplates,
  DEFAULT_INGEST_MARGIN_DAYS,
} from './athena-export.js';
export {
  DEVICES_COLUMNS,
  DEVICES_SNAPSHOT_KEY,
  DEVICES_TABLE_NAME,
  devicesGlueTableInput,
  devicesSnapshotNdjson,
} from './devices-table.js';
export { EXPORT_FILES, type ExportDayOptions, exportDay } from './export-day.js';
export { ExportFailedError, InvalidBucketNameError, InvalidExportDayError } from './export-errors.js';
export {
  type DayExported,
  type ExportReport,
  formatExportReport,
  type NothingToExport,
} from './export-report.js';
export {
  type AslDefinition,
  type AslState,
  buildExportStateMachineDefinition,
  type ExportStateMachineOptions,
} from './export-state-machine.js';
export { previousUtcDay } from './export-window.js';
export { PHOTO_URL_PROBLEMS, type PhotoUrlProblem } from './photo-url-rule.js';
