import type { DuckDBConnection } from '@duckdb/node-api';
import type { Device } from '../db/device-repository.js';
import {
  COFFEE_COLUMNS,
  type LakeColumn,
  type LakeColumnType,
  PARTITION_COLUMNS,
  TELEMETRY_COLUMNS,
} from './columns.js';
import { DEDUPE_KEYS, firstArrivalSql } from './dedupe-sql.js';
import { LAKE_PREFIXES, localPath } from './layout.js';
import { type FileSeqRange, filesWithOverlappingRanges } from './local/seq-ranges.js';
import { sqlIdentifier, sqlString } from './local/sql-text.js';

/**
 * The lake as SQL tables in a DuckDB connection, what Athena sees in AWS:
 *
 * - `telemetry`: one row per reading, deduplicated on (device_id, seq), the earliest ingest_time
 *   kept (a resent reading is the same reading; the first arrival is the one that counts);
 * - `coffees`: one row per photo, deduplicated on photo_key the same way;
 * - `devices`: the registry rows given (thing_name, owner, location, model, first_seen_at,
 *   last_seen_at);
 * - `telemetry_all`, `coffees_all`: every stored row, duplicates included (for checking the
 *   dedupe, and for speed when duplicates do not matter).
 *
 * Column types are exactly columns.ts (timestamps as TIMESTAMP, UTC), then the ingest_* partition
 * columns as VARCHAR ("2026", "03"); with no files yet a table is there, empty, with those types.
 *
 * The views read the Parquet files present when they were made (a snapshot: call again to see
 * later files). Deduplicating ten million readings costs seconds, so the work is limited to the
 * files that can hold a duplicate: a first pass reads each file's seq range per device, and only
 * files whose range overlaps another file's for the same device go through the dedupe; the rest
 * are read as they are. A lake whose writer dropped duplicates as they came (LocalLake does)
 * usually has few or none.
 */
export interface LakeViewsSummary {
  telemetryFiles: number;
  coffeeFiles: number;
  /** Telemetry files that may share a (device_id, seq) with another, read through the dedupe. */
  telemetryFilesDeduplicated: number;
  devices: number;
}

const SQL_TYPES: Record<LakeColumnType, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};

const HIVE_TYPES = `{${PARTITION_COLUMNS.map((name) => `${sqlString(name)}: VARCHAR`).join(', ')}}`;

/** The table's columns in order, each cast to its lake type, then the partition columns. */
function typedColumns(columns: readonly LakeColumn[], from: (name: string) => string): string {
  return [
    ...columns.map((c) => `CAST(${from(c.name)} AS ${SQL_TYPES[c.type]}) AS ${sqlIdentifier(c.name)}`),
    ...PARTITION_COLUMNS.map((name) => `CAST(${from(name)} AS VARCHAR) AS ${sqlIdentifier(name)}`),
  ].join(', ');
}

function emptyTable(columns: readonly LakeColumn[]): string {
  return `SELECT ${typedColumns(columns, () => 'NULL')} WHERE false`;
}

function fileList(files: readonly string[]): string {
  return `[${files.map(sqlString).join(', ')}]`;
}

function readFiles(files: readonly string[], withFilename = false): string {
  return `read_parquet(${fileList(files)}, hive_partitioning = true, hive_types = ${HIVE_TYPES}${withFilename ? ', filename = true' : ''})`;
}

/** Rows of `files` as stored. */
function allRows(columns: readonly LakeColumn[], files: readonly string[]): string {
  if (files.length === 0) return emptyTable(columns);
  return `SELECT ${typedColumns(columns, sqlIdentifier)} FROM ${readFiles(files)}`;
}

/**
 * Rows of `files`, one per key: the earliest ingest_time (then the file name, to be deterministic).
 * The same SQL Athena's views run (dedupe-sql.ts), with DuckDB's `filename` for Athena's "$path".
 */
function firstRows(columns: readonly LakeColumn[], files: readonly string[], key: readonly string[]): string {
  if (files.length === 0) return emptyTable(columns);
  return firstArrivalSql({
    select: [typedColumns(columns, sqlIdentifier)],
    from: readFiles(files, true),
    key,
    file: 'filename',
  });
}

async function parquetFiles(connection: DuckDBConnection, lakeDir: string, table: string): Promise<string[]> {
  const pattern = `${localPath(lakeDir, `${LAKE_PREFIXES.curated}/${table}`)}/**/*.parquet`;
  const reader = await connection.runAndReadAll(`SELECT file FROM glob(${sqlString(pattern)}) ORDER BY file`);
  return reader.getRows().map((row) => String(row[0]));
}

/**
 * Files that may hold a (device_id, seq) another file holds too: their seq range per device,
 * read from device_id and seq alone (a fraction of the data), overlaps another file's
 * (seq-ranges.ts). Keeping the ranges in each file's footer was tried: reading 3,000 footers
 * costs DuckDB as much as scanning the two columns, which it does in parallel.
 */
async function filesWithPossibleDuplicates(
  connection: DuckDBConnection,
  files: readonly string[],
): Promise<Set<string>> {
  if (files.length < 2) return new Set();
  const scanned = await connection.runAndReadAll(
    `SELECT filename, device_id, min(seq), max(seq) FROM read_parquet(${fileList(files)}, filename = true) GROUP BY filename, device_id`,
  );
  const ranges: FileSeqRange[] = (scanned.getRows() as [string, string, bigint, bigint][]).map(
    ([file, device, lo, hi]) => ({ file, device, lo: Number(lo), hi: Number(hi) }),
  );
  return filesWithOverlappingRanges(ranges);
}

function telemetrySelect(files: readonly string[], suspects: ReadonlySet<string>): string {
  if (suspects.size === 0) return allRows(TELEMETRY_COLUMNS, files);
  const clean = files.filter((file) => !suspects.has(file));
  const deduplicated = firstRows(TELEMETRY_COLUMNS, [...suspects], DEDUPE_KEYS.telemetry);
  return clean.length === 0
    ? deduplicated
    : `${allRows(TELEMETRY_COLUMNS, clean)}\nUNION ALL\n${deduplicated}`;
}

/** `2026-03-05T10:00:00.000Z` (the registry's form) as a TIMESTAMP literal's text. */
function registryTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace('T', ' ').replace(/Z$/, '');
}

async function createDevicesTable(connection: DuckDBConnection, devices: readonly Device[]): Promise<void> {
  await connection.run(`CREATE OR REPLACE TEMP TABLE devices (
  thing_name VARCHAR, owner VARCHAR, location VARCHAR, model VARCHAR,
  first_seen_at TIMESTAMP, last_seen_at TIMESTAMP)`);
  for (const device of devices) {
    const nullable = (value: string | null) => (value === null ? 'NULL' : sqlString(value));
    await connection.run(
      `INSERT INTO devices VALUES (${[
        sqlString(device.thingName),
        nullable(device.owner),
        nullable(device.location),
        nullable(device.model),
        `CAST(${nullable(registryTime(device.firstSeenAt))} AS TIMESTAMP)`,
        `CAST(${nullable(registryTime(device.lastSeenAt))} AS TIMESTAMP)`,
      ].join(', ')})`,
    );
  }
}

/** The curated Parquet files of the lake, as DuckDB's glob lists them (regular files only). */
export interface LakeFiles {
  telemetry: string[];
  coffees: string[];
}

/** The curated Parquet files under `lakeDir` now: what createLakeViews would read. */
export async function listLakeFiles(connection: DuckDBConnection, lakeDir: string): Promise<LakeFiles> {
  return {
    telemetry: await parquetFiles(connection, lakeDir, 'telemetry'),
    coffees: await parquetFiles(connection, lakeDir, 'coffees'),
  };
}

/**
 * Creates (or replaces) the temporary views `telemetry`, `coffees`, `telemetry_all`,
 * `coffees_all` and the temporary table `devices` in `connection`, over the lake at `lakeDir`
 * (which need not exist yet). Only reads the lake. `files`, when given, is the listing to use
 * (listLakeFiles): a caller that must know exactly which files the views read lists them first.
 */
export async function createLakeViews(
  connection: DuckDBConnection,
  lakeDir: string,
  devices: readonly Device[],
  files?: LakeFiles,
): Promise<LakeViewsSummary> {
  const { telemetry: telemetryFiles, coffees: coffeeFiles } =
    files ?? (await listLakeFiles(connection, lakeDir));
  const suspects = await filesWithPossibleDuplicates(connection, telemetryFiles);
  const views: [string, string][] = [
    ['telemetry', telemetrySelect(telemetryFiles, suspects)],
    ['telemetry_all', allRows(TELEMETRY_COLUMNS, telemetryFiles)],
    ['coffees', firstRows(COFFEE_COLUMNS, coffeeFiles, DEDUPE_KEYS.coffees)],
    ['coffees_all', allRows(COFFEE_COLUMNS, coffeeFiles)],
  ];
  for (const [name, select] of views) {
    await connection.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdentifier(name)} AS ${select}`);
  }
  await createDevicesTable(connection, devices);
  return {
    telemetryFiles: telemetryFiles.length,
    coffeeFiles: coffeeFiles.length,
    telemetryFilesDeduplicated: suspects.size,
    devices: devices.length,
  };
}
