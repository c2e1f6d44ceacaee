// The local lake (DuckDB over the lake layout) as the local stack, `coffee-iot import`, `query`
// and `replay` use it.
export { type ColumnBatch, encodeColumns, RowShapeError } from './column-batch.js';
export * from './compaction/index.js';
export { type ErrorLine, parseErrorLines } from './error-output.js';
export { hoursTouched, parseUtcTime, replayWindow, type TimeWindow } from './hour-window.js';
export {
  CompactionJournalError,
  CuratedWriteError,
  InvalidReplayWindowError,
  LocalLakeClosedError,
  RawArchiveReadError,
  RawArchiveWriteError,
  ReplayRecoveryError,
} from './lake-errors.js';
export {
  DEFAULT_REMEMBERED_KEYS,
  type IngestReport,
  LocalLake,
  type LocalLakeOptions,
  openLocalLake,
} from './local-lake.js';
export { LocalLakeStream, type LocalLakeStreamOptions } from './local-lake-stream.js';
export { recoverInterruptedReplays } from './partition-swap.js';
export { listRawFiles, type RawFile, readRawArchive, readRawFile } from './raw-archive.js';
export { type ReplayedHour, type ReplayOptions, type ReplayReport, replayFromRaw } from './replay.js';
export { type WrittenRuleErrors, writeRuleErrors } from './rule-error-output.js';
