import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { GlueTableInput } from '../../../cloud/src/lake/glue-tables.js';

/**
 * Glue tables as Athena would read them, made into DuckDB views over a local directory laid out
 * exactly like the lake bucket (s3://{bucket}/{key} ↔ {bucketDir}/{key}). Everything comes from
 * the TableInput the stack deploys: the columns and their types, the location, the SerDe, and for
 * partition projection the location template and the projected ranges — an object the projection
 * does not reach is left out, as Athena leaves it out.
 */
export class GlueTableOnDuckDbError extends Error {
  override readonly name = 'GlueTableOnDuckDbError';
}

/** Glue (Hive) column types → DuckDB's; anything else fails the test rather than being guessed. */
const DUCKDB_TYPES: Record<string, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};

export function duckDbType(glueType: string): string {
  const type = DUCKDB_TYPES[glueType];
  if (type === undefined) throw new GlueTableOnDuckDbError(`no DuckDB type for the Glue type "${glueType}"`);
  return type;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function localDir(s3Url: string, bucket: string, bucketDir: string): string {
  const prefix = `s3://${bucket}/`;
  if (!s3Url.startsWith(prefix)) {
    throw new GlueTableOnDuckDbError(`${s3Url} is not in the lake bucket ${bucket}`);
  }
  return join(bucketDir, ...s3Url.slice(prefix.length).split('/').filter(Boolean));
}

/** The files partition projection reaches: under the location template, within the projected ranges. */
function projectedFiles(table: GlueTableInput, location: string, files: readonly string[]): string[] {
  const { parameters } = table;
  if (parameters['projection.enabled'] !== 'true') {
    throw new GlueTableOnDuckDbError(`${table.name} is partitioned without partition projection`);
  }
  const template = parameters['storage.location.template'];
  if (template === undefined || !template.startsWith(table.storageDescriptor.location)) {
    throw new GlueTableOnDuckDbError(`${table.name}: storage.location.template is not under its location`);
  }
  const keys = table.partitionKeys.map((key) => key.name);
  let pattern = template.slice(table.storageDescriptor.location.length).replace(/[.*+?^()|[\]\\]/g, '\\$&');
  for (const key of keys) pattern = pattern.replace(`\${${key}}`, `(?<${key}>[^/]+)`);
  const matcher = new RegExp(`^${pattern}/[^/]+$`);
  return files.filter((file) => {
    const match = matcher.exec(relative(location, file).split(sep).join('/'));
    if (match?.groups === undefined) return false;
    return keys.every((key) => {
      const value = match.groups?.[key] ?? '';
      const type = parameters[`projection.${key}.type`];
      if (type !== 'integer') throw new GlueTableOnDuckDbError(`${table.name}.${key}: projection ${type}`);
      const [low, high] = (parameters[`projection.${key}.range`] ?? '').split(',').map(Number);
      const digits = Number(parameters[`projection.${key}.digits`] ?? '1');
      const number = Number(value);
      return (
        /^[0-9]+$/.test(value) &&
        value === String(number).padStart(digits, '0') &&
        low !== undefined &&
        high !== undefined &&
        number >= low &&
        number <= high
      );
    });
  });
}

/**
 * Athena's hidden column: the S3 URL of the object a row came from (the lake's dedupe breaks ties
 * with it). Here it is a visible last column, the local path standing in for the URL; the layout
 * under both roots is the same, so the files sort alike.
 */
export const PATH_COLUMN = '$path';

function columnList(table: GlueTableInput): string {
  return [...table.storageDescriptor.columns, ...table.partitionKeys]
    .map((c) => quote(c.name))
    .concat(`filename AS ${quote(PATH_COLUMN)}`)
    .join(', ');
}

function emptySelect(table: GlueTableInput): string {
  return `SELECT ${[...table.storageDescriptor.columns, ...table.partitionKeys]
    .map((c) => `CAST(NULL AS ${duckDbType(c.type)}) AS ${quote(c.name)}`)
    .concat(`CAST(NULL AS VARCHAR) AS ${quote(PATH_COLUMN)}`)
    .join(', ')} WHERE false`;
}

async function tableSelect(table: GlueTableInput, bucket: string, bucketDir: string): Promise<string> {
  const { storageDescriptor: storage } = table;
  const location = localDir(storage.location, bucket, bucketDir);
  const serde = storage.serdeInfo.serializationLibrary;
  if (serde === 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe') {
    const files = await filesUnder(location);
    const read = table.partitionKeys.length === 0 ? files : projectedFiles(table, location, files);
    if (read.length === 0) return emptySelect(table);
    const hiveTypes = table.partitionKeys.map((key) => `${literal(key.name)}: ${duckDbType(key.type)}`);
    const options =
      table.partitionKeys.length === 0
        ? ', filename = true'
        : `, filename = true, hive_partitioning = true, hive_types = {${hiveTypes.join(', ')}}`;
    return `SELECT ${columnList(table)} FROM read_parquet([${read.map(literal).join(', ')}]${options})`;
  }
  if (serde === 'org.apache.hive.hcatalog.data.JsonSerDe') {
    if (table.partitionKeys.length > 0) throw new GlueTableOnDuckDbError(`${table.name}: partitioned JSON`);
    const files = await filesUnder(location);
    if (files.length === 0) return emptySelect(table);
    const columns = storage.columns.map((c) => `${literal(c.name)}: ${literal(duckDbType(c.type))}`);
    return `SELECT ${columnList(table)} FROM read_json([${files.map(literal).join(', ')}], format = 'newline_delimited', filename = true, columns = {${columns.join(', ')}})`;
  }
  throw new GlueTableOnDuckDbError(`${table.name}: no reader for the SerDe ${serde}`);
}

/** Creates `{schema}.{table.name}` as a view of what Athena would read from the table now. */
export async function createGlueTableView(
  connection: DuckDBConnection,
  schema: string,
  table: GlueTableInput,
  lake: { bucket: string; bucketDir: string },
): Promise<void> {
  const select = await tableSelect(table, lake.bucket, lake.bucketDir);
  await connection.run(`CREATE OR REPLACE VIEW ${quote(schema)}.${quote(table.name)} AS ${select}`);
}

/**
 * Trino functions the export's Athena SQL uses that DuckDB spells otherwise. to_utf8 is only
 * ever measured with length(), so a list as long as the UTF-8 bytes stands in for the varbinary.
 */
export async function emulateTrinoFunctions(connection: DuckDBConnection): Promise<void> {
  await connection.run('CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)');
  await connection.run('CREATE OR REPLACE MACRO to_utf8(s) AS range(strlen(s))');
}
