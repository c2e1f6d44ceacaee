// The lake as a library: for the local stack the writer, its stream adapter, replay (which also
// compacts an hour into few files), the read-time views and the common questions; for infra the
// AWS side of the same lake (Glue tables, the daily export state machine).

export { ARRIVAL_RANK_COLUMN, DEDUPE_KEYS, firstArrivalSql } from './dedupe-sql.js';
export {
  type AslDefinition,
  buildExportStateMachineDefinition,
  DEVICES_SNAPSHOT_KEY,
  DEVICES_TABLE_NAME,
  devicesGlueTableInput,
  type ExportStateMachineOptions,
} from './export/index.js';
export {
  athenaViewSql,
  decodePrestoView,
  type GlueTableInput,
  type GlueTableOptions,
  type GlueViewInput,
  glueTableInput,
  glueViewInput,
  PROJECTED_YEARS,
  type PrestoViewDefinition,
  projectedYears,
  RAW_TABLE_NAMES,
  VIEW_NAMES,
} from './glue-tables.js';
export * from './local/index.js';
export { NAMED_QUERIES } from './named-queries.js';
export {
  encodeRuleErrorLines,
  parseRuleErrorLines,
  RULE_ERROR_S3_KEY_TEMPLATE,
  RULE_ERRORS_PREFIX,
  type RuleErrorInput,
  type RuleErrorMessage,
  type RuleErrorRecord,
  RuleErrorShapeError,
  type RuleFailure,
  ruleErrorPayload,
  ruleErrorReason,
  ruleErrorRecord,
  ruleErrorsPartitionKey,
  utf8Text,
} from './rule-errors.js';
export { createLakeViews, type LakeViewsSummary } from './views.js';
