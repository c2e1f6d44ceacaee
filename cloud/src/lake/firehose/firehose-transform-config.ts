import { EnvReader } from '../../config/env.js';
import { LAKE_TABLES, type LakeTableName } from '../columns.js';

export interface FirehoseTransformConfig {
  /** The table this delivery stream writes (one delivery stream per table). */
  table: LakeTableName;
  /** Re-ingests one record may go through before it is given up to processing-failed/. */
  maxReingests: number;
  /**
   * Answer Ok records with metadata.partitionKeys (ingest_year/month/day/hour), for a delivery
   * stream with dynamic partitioning and an S3 prefix of `!{partitionKeyFromLambda:ingest_year}`…
   */
  partitionKeys: boolean;
  /** The lake bucket: the readings refused on their own go to its errors/readings/ prefix. */
  lakeBucket: string;
}

const TABLE_NAMES = Object.keys(LAKE_TABLES) as LakeTableName[];
const REINGEST_CHOICES = Array.from({ length: 11 }, (_, n) => String(n));

/** Reads the transformation Lambda's environment; throws EnvironmentError naming every problem. */
export function readFirehoseTransformConfig(
  env: Readonly<Record<string, string | undefined>>,
): FirehoseTransformConfig {
  const read = new EnvReader(env);
  // Required, not defaulted: a coffees delivery stream falling back to telemetry would answer
  // every coffee Dropped.
  read.string('LAKE_TABLE');
  const table = read.oneOf('LAKE_TABLE', TABLE_NAMES, 'telemetry');
  // Whole numbers only: a choice list says so in its message.
  const maxReingests = Number(read.oneOf('MAX_REINGESTS', REINGEST_CHOICES, '3'));
  const partitionKeys = read.boolean('PARTITION_KEYS', true);
  // Required: without it a refused reading would have nowhere to go but the logs.
  const lakeBucket = read.string('LAKE_BUCKET');
  read.done();
  return { table, maxReingests, partitionKeys, lakeBucket };
}
