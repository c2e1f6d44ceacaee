import { LAKE_TABLES, type LakeColumnType, type LakeTableName, PARTITION_COLUMNS } from './columns.js';
import { DEDUPE_KEYS, firstArrivalSql } from './dedupe-sql.js';
import { LAKE_PREFIXES } from './layout.js';

/**
 * The Glue catalog of the lake, in the shape of CloudFormation's / CDK's `AWS::Glue::Table`
 * TableInput (CfnTable.TableInputProperty), built from columns.ts so the catalog can never drift
 * from what the transform writes:
 *
 * - the raw tables `telemetry_all` and `coffees_all`: exactly what Firehose (or the Glue job)
 *   writes under curated/{telemetry,coffees}/, duplicates included (Firehose dedupes only within
 *   one invocation, the Glue job within one micro-batch, and a re-imported CSV writes its rows
 *   again);
 * - the views `telemetry` and `coffees` over them, one row per (device_id, seq) / photo_key, the
 *   earliest arrival kept: the same dedupe the local DuckDB lake runs (dedupe-sql.ts). These are
 *   what people, the named queries and the export read.
 *
 * Partition projection instead of a crawler: Athena computes the ingest_* partitions from the
 * table properties, so new hours are queryable the moment Firehose (or Glue) writes them, with no
 * crawler to run or pay for. The partition columns are strings ("2026", "03") so that
 * `digits` gives the zero-padded values the S3 layout uses; Athena's `date` projection type (the
 * only one with a `NOW`-relative range) would need one column holding the whole date, which the
 * layout does not have, so the years are an integer range fixed at synth: firstYear (stack
 * context, never the day of the synth) to firstYear + PROJECTED_YEARS - 1.
 */
export interface GlueTableOptions {
  /** The lake bucket. */
  bucket: string;
  /** First ingest year to project: the year of the oldest data the lake may hold. */
  firstYear: number;
  /** Last ingest year to project (default firstYear + PROJECTED_YEARS - 1). */
  lastYear?: number;
}

/**
 * Years the projection covers by default. A year no data was written in costs an unfiltered
 * query nothing but a few empty S3 listings, so the range is generous; past its end Athena would
 * see nothing new, so redeploy with a later firstYear well before (docs/deploy.md).
 */
export const PROJECTED_YEARS = 30;

/** The raw Glue tables, as Firehose and the Glue job write them (duplicates included). */
export const RAW_TABLE_NAMES: Readonly<Record<LakeTableName, string>> = Object.freeze({
  telemetry: 'telemetry_all',
  coffees: 'coffees_all',
});

/** The deduplicating views: what every reader of the lake reads. */
export const VIEW_NAMES: Readonly<Record<LakeTableName, string>> = Object.freeze({
  telemetry: 'telemetry',
  coffees: 'coffees',
});

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

/** The first and last projected year, checked. */
export function projectedYears(options: Pick<GlueTableOptions, 'firstYear' | 'lastYear'>): [number, number] {
  const first = options.firstYear;
  const last = options.lastYear ?? first + PROJECTED_YEARS - 1;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1970 || last > 9999 || last < first) {
    throw new RangeError(`projected ingest years must be whole years, first ≤ last; got ${first}..${last}`);
  }
  return [first, last];
}

const PROJECTED_RANGES: Record<
  (typeof PARTITION_COLUMNS)[number],
  (o: GlueTableOptions) => [string, number]
> = {
  ingest_year: (o) => [projectedYears(o).join(','), 4],
  ingest_month: () => ['1,12', 2],
  ingest_day: () => ['1,31', 2],
  ingest_hour: () => ['0,23', 2],
};

const DESCRIPTIONS: Record<LakeTableName, string> = {
  telemetry:
    'Every stored Sense HAT reading, duplicates included (read the telemetry view); partitioned by ingest hour (UTC)',
  coffees:
    'Every stored analysed coffee photo, duplicates included (read the coffees view); partitioned by ingest hour (UTC)',
};

const VIEW_DESCRIPTIONS: Record<LakeTableName, string> = {
  telemetry:
    'One row per Sense HAT reading: telemetry_all deduplicated on (device_id, seq), earliest arrival',
  coffees: 'One row per analysed coffee photo: coffees_all deduplicated on photo_key, earliest arrival',
};

/** The raw table `table` (telemetry_all / coffees_all) over curated/{table}/. */
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
    name: RAW_TABLE_NAMES[table],
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

/** The view's columns: the table's, then the partition columns, as Hive types (Glue's listing). */
function viewColumns(table: LakeTableName): GlueColumn[] {
  return [
    ...LAKE_TABLES[table].map((column) => ({ name: column.name, type: column.type })),
    ...PARTITION_COLUMNS.map((name) => ({ name, type: 'string' })),
  ];
}

/** Hive type → the Trino type name Athena (engine 3) stores in a view and checks it against. */
const TRINO_TYPES: Record<LakeColumnType, string> = {
  string: 'varchar',
  bigint: 'bigint',
  int: 'integer',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp(3)',
};

/**
 * The view's SQL as Athena runs it: the raw table read through the lake's one dedupe, `"filename"`
 * (the object a row came from) as the tie-break. Names are unqualified: Athena resolves them in
 * the view's own catalog and schema (its database), so the view follows the database's name.
 */
export function athenaViewSql(view: LakeTableName): string {
  return firstArrivalSql({
    select: viewColumns(view).map((c) => `"${c.name}"`),
    from: `"${RAW_TABLE_NAMES[view]}"`,
    key: DEDUPE_KEYS[view],
    file: '"$path"',
  });
}

/** The JSON Athena keeps, base64-encoded, in a view's ViewOriginalText (Trino's view definition). */
export interface PrestoViewDefinition {
  originalSql: string;
  catalog: string;
  schema: string;
  columns: { name: string; type: string }[];
}

export interface GlueViewInput {
  name: string;
  description: string;
  tableType: 'VIRTUAL_VIEW';
  parameters: Record<string, string>;
  partitionKeys: GlueColumn[];
  viewOriginalText: string;
  viewExpandedText: string;
  storageDescriptor: { columns: GlueColumn[]; serdeInfo: Record<string, never> };
}

const PRESTO_VIEW_PREFIX = '/* Presto View: ';
const PRESTO_VIEW_SUFFIX = ' */';

/**
 * The deduplicating view `view` (telemetry / coffees) as a Glue table, the way Athena itself
 * stores a view made by CREATE VIEW: TableType VIRTUAL_VIEW, ViewOriginalText
 * `/* Presto View: <base64 of the definition JSON> *\/`, ViewExpandedText `/* Presto View *\/`,
 * parameter presto_view=true. The definition's columns (names, order, Trino types) must be what
 * the SQL returns, or Athena refuses the view as stale; they are derived from the same column
 * list as the SQL.
 */
export function glueViewInput(view: LakeTableName, options: { database: string }): GlueViewInput {
  if (!/^[a-z0-9_]{1,255}$/.test(options.database)) {
    throw new RangeError(`"${options.database}" is not a Glue database name Athena can query`);
  }
  const columns = viewColumns(view);
  const definition: PrestoViewDefinition = {
    originalSql: athenaViewSql(view),
    catalog: 'awsdatacatalog',
    schema: options.database,
    columns: columns.map((c) => ({ name: c.name, type: TRINO_TYPES[c.type as LakeColumnType] })),
  };
  const encoded = Buffer.from(JSON.stringify(definition), 'utf8').toString('base64');
  return {
    name: VIEW_NAMES[view],
    description: VIEW_DESCRIPTIONS[view],
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    partitionKeys: [],
    viewOriginalText: `${PRESTO_VIEW_PREFIX}${encoded}${PRESTO_VIEW_SUFFIX}`,
    viewExpandedText: '/* Presto View */',
    storageDescriptor: { columns, serdeInfo: {} },
  };
}

/** The definition inside a view's ViewOriginalText (for checks and tests). */
export function decodePrestoView(viewOriginalText: string): PrestoViewDefinition {
  if (!viewOriginalText.startsWith(PRESTO_VIEW_PREFIX) || !viewOriginalText.endsWith(PRESTO_VIEW_SUFFIX)) {
    throw new RangeError('not a Presto view: expected /* Presto View: <base64> */');
  }
  const encoded = viewOriginalText.slice(PRESTO_VIEW_PREFIX.length, -PRESTO_VIEW_SUFFIX.length);
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as PrestoViewDefinition;
}
