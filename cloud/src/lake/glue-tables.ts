import { LAKE_TABLES, type LakeTableName, PARTITION_COLUMNS } from './columns.js';
import { LAKE_PREFIXES } from './layout.js';

/**
 * The Glue catalog tables for the lake, in the shape of CloudFormation's / CDK's
 * `AWS::Glue::Table` TableInput (CfnTable.TableInputProperty), built from columns.ts so the
 * catalog can never drift from what the transform writes.
 *
 * Partition projection instead of a crawler: Athena computes the ingest_* partitions from the
 * table properties, so new hours are queryable the moment Firehose (or Glue) writes them, with no
 * crawler to run or pay for. The partition columns are strings ("2026", "03") so that
 * `digits` gives the zero-padded values the S3 layout uses.
 */
export interface GlueTableOptions {
  /** The lake bucket. */
  bucket: string;
  /** First ingest year to project (the deployment's year is a good choice). */
  firstYear: number;
  /** Last ingest year to project; Athena never scans a projected year with no objects. */
  lastYear?: number;
}

export interface GlueColumn {
  name: string;
  type: string;
  comment?: string;
}

export interface GlueTableInput {
  name: string;
  description: string;
  tableType: 'EXTERNAL_TABLE';
  parameters: Record<string, string>;
  partitionKeys: GlueColumn[];
  storageDescriptor: {
    columns: GlueColumn[];
    location: string;
    inputFormat: string;
    outputFormat: string;
    serdeInfo: { serializationLibrary: string };
  };
}

const PROJECTED_RANGES: Record<
  (typeof PARTITION_COLUMNS)[number],
  (o: GlueTableOptions) => [string, number]
> = {
  ingest_year: (o) => [`${o.firstYear},${o.lastYear ?? o.firstYear + 20}`, 4],
  ingest_month: () => ['1,12', 2],
  ingest_day: () => ['1,31', 2],
  ingest_hour: () => ['0,23', 2],
};

const DESCRIPTIONS: Record<LakeTableName, string> = {
  telemetry:
    'One row per Sense HAT reading, deduplicate on (device_id, seq); partitioned by ingest hour (UTC)',
  coffees: 'One row per analysed coffee photo, deduplicate on photo_key; partitioned by ingest hour (UTC)',
};

export function glueTableInput(table: LakeTableName, options: GlueTableOptions): GlueTableInput {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    throw new RangeError(`"${options.bucket}" is not an S3 bucket name`);
  }
  const location = `s3://${options.bucket}/${LAKE_PREFIXES.curated}/${table}/`;
  const parameters: Record<string, string> = {
    classification: 'parquet',
    'parquet.compression': 'SNAPPY',
    'projection.enabled': 'true',
    'storage.location.template': `${location}${PARTITION_COLUMNS.map((c) => `${c}=\${${c}}`).join('/')}`,
  };
  for (const column of PARTITION_COLUMNS) {
    const [range, digits] = PROJECTED_RANGES[column](options);
    parameters[`projection.${column}.type`] = 'integer';
    parameters[`projection.${column}.range`] = range;
    parameters[`projection.${column}.digits`] = String(digits);
  }
  return {
    name: table,
    description: DESCRIPTIONS[table],
    tableType: 'EXTERNAL_TABLE',
    parameters,
    partitionKeys: PARTITION_COLUMNS.map((name) => ({ name, type: 'string' })),
    storageDescriptor: {
      columns: LAKE_TABLES[table].map((column) => ({ name: column.name, type: column.type })),
      location,
      inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    },
  };
}
