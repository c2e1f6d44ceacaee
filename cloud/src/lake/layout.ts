import { join } from 'node:path';
import type { LakeTableName } from './columns.js';
import type { PartitionValues } from './rows.js';

/**
 * Where things live in the lake, in S3 (under the lake bucket) and locally (under the lake
 * directory) alike:
 *
 *   curated/{table}/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/ingest_hour=HH/*.parquet
 *   raw/ingest_year=…/…/ingest_hour=HH/{arrivalMs}-{id}.json.gz   the stream as it arrived (replay)
 *   errors/ingest_year=…/…/*.json                                  refused records with their reason
 *   exports/{yyyy-mm-dd}/{telemetry,coffees}.{csv,parquet}         the daily enriched export
 */
export const LAKE_PREFIXES = Object.freeze({
  curated: 'curated',
  raw: 'raw',
  errors: 'errors',
  exports: 'exports',
});

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The ingest-time partition (UTC) of a moment. */
export function partitionValuesOf(at: Date): PartitionValues {
  return {
    ingest_year: pad(at.getUTCFullYear(), 4),
    ingest_month: pad(at.getUTCMonth() + 1),
    ingest_day: pad(at.getUTCDate()),
    ingest_hour: pad(at.getUTCHours()),
  };
}

/** `ingest_year=YYYY/ingest_month=MM/ingest_day=DD/ingest_hour=HH` (forward slashes, as in S3). */
export function partitionPath(values: PartitionValues): string {
  return `ingest_year=${values.ingest_year}/ingest_month=${values.ingest_month}/ingest_day=${values.ingest_day}/ingest_hour=${values.ingest_hour}`;
}

export function curatedPartitionKey(table: LakeTableName, values: PartitionValues): string {
  return `${LAKE_PREFIXES.curated}/${table}/${partitionPath(values)}`;
}

export function rawPartitionKey(values: PartitionValues): string {
  return `${LAKE_PREFIXES.raw}/${partitionPath(values)}`;
}

export function errorsPartitionKey(values: PartitionValues): string {
  return `${LAKE_PREFIXES.errors}/${partitionPath(values)}`;
}

export function exportKey(day: string): string {
  return `${LAKE_PREFIXES.exports}/${day}`;
}

/** A lake key as a path under a local lake directory. */
export function localPath(lakeDir: string, key: string): string {
  return join(lakeDir, ...key.split('/'));
}
