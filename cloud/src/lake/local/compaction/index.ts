// Keeping the live hour of the local lake in few files (the closed hours are compacted by replay).
export { isJournalName } from './compaction-journal.js';
export {
  type CompactionStep,
  DEFAULT_FANOUT,
  DEFAULT_RETIRE_AFTER_MS,
  LakeCompactor,
  type LakeCompactorOptions,
  type PartitionCompaction,
  type RecoveredCompaction,
  recoverInterruptedCompactions,
} from './lake-compactor.js';
export { ParquetMerger } from './merge-parquet.js';
export { nextMerge, tierOf } from './tier-plan.js';
