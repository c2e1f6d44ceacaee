import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Device } from '../../db/device-repository.js';
import { sqlString } from '../local/sql-text.js';
import { createLakeViews, type LakeFiles, type LakeViewsSummary, listLakeFiles } from '../views.js';

/*
 * The DuckDB that runs a `coffee-iot query` statement. In memory, so nothing it does persists,
 * with the lake's views (and the registry's `devices`, copied in as a table) made first; then,
 * before the user's SQL, locked:
 *
 * - `allowed_paths` = exactly the Parquet files the views read, then
 *   `enable_external_access = false`: every other path (any file, a directory listing, a URL, `..`
 *   out of the lake) is refused. Not `allowed_directories` = the lake: DuckDB's gate does not tell
 *   reading from writing, and a directory would let a write add files to it. DuckDB's glob lists
 *   a symlinked file (not a symlinked directory) and allowed_paths compares the path as written,
 *   so a file of the lake that resolves outside it is refused before anything is opened
 *   (LakeFileOutsideError): read_text on it would print whatever it points at;
 * - no extension is installed or loaded at run time (`autoinstall_known_extensions`,
 *   `autoload_known_extensions`, `allow_community_extensions`, `allow_unsigned_extensions` off),
 *   and no stored secret is read (`allow_persistent_secrets` off);
 * - `lock_configuration = true`, so no SET or RESET undoes any of it;
 * - DuckDB spills to a directory of its own under the system's temporary directory (mode 0700,
 *   removed on close; by default it would make `.tmp` wherever the command runs). DuckDB adds
 *   that directory to `allowed_directories` itself, so spilling still works: it is the one
 *   directory a statement could name, and holds nothing but this query's own spilled data.
 *
 * The settings are read back after locking: a DuckDB that did not take one is not used.
 */

/** Set when the instance is made, before anything runs. */
const INSTANCE_SETTINGS: Readonly<Record<string, string>> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  allow_unsigned_extensions: 'false',
  allow_persistent_secrets: 'false',
};

/** What duckdb_settings() must say once the sandbox is locked. */
const LOCKED_SETTINGS: Readonly<Record<string, string>> = {
  ...INSTANCE_SETTINGS,
  enable_external_access: 'false',
  lock_configuration: 'true',
  allowed_configs: '[]',
};

/** DuckDB did not take a setting the sandbox depends on: nothing is run. */
export class SandboxSetupError extends Error {
  override readonly name = 'SandboxSetupError';
}

/** A lake file resolves (through a symlink) outside the lake: the sandbox would let it be read. */
export class LakeFileOutsideError extends Error {
  override readonly name = 'LakeFileOutsideError';
}

/** Throws LakeFileOutsideError for the first listed file whose real path is not under the lake's. */
async function refuseFilesOutside(lakeDir: string, files: LakeFiles): Promise<void> {
  const all = [...files.telemetry, ...files.coffees];
  if (all.length === 0) return;
  const lake = await realpath(lakeDir);
  for (const file of all) {
    const target = await realpath(file).catch((error: NodeJS.ErrnoException) => {
      // Gone since the listing (a replay swapped its partition): reading it will say so.
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (target !== undefined && !target.startsWith(lake + sep)) {
      throw new LakeFileOutsideError(
        `the lake file ${file} resolves to ${target}, outside the lake (${lake}); coffee-iot query reads only the lake's own files: remove the link, or copy the file into the lake`,
      );
    }
  }
}

export interface QuerySandbox {
  /** The locked connection, with `telemetry`, `coffees`, `telemetry_all`, `coffees_all`, `devices`. */
  readonly connection: DuckDBConnection;
  readonly summary: LakeViewsSummary;
  /** The only files a statement can read: the Parquet files the views read. */
  readonly readablePaths: readonly string[];
  /** Closes DuckDB and removes its spill directory. */
  close(): Promise<void>;
}

/** Reads the settings back: throws SandboxSetupError naming each that is not as LOCKED_SETTINGS says. */
export async function verifyLocked(
  connection: DuckDBConnection,
  expected: { readablePaths: readonly string[]; spillDir: string },
): Promise<void> {
  const want: Record<string, string> = {
    ...LOCKED_SETTINGS,
    temp_directory: expected.spillDir,
    // DuckDB adds its spill directory itself when external access goes off; nothing else.
    allowed_directories: `[${expected.spillDir}/]`,
  };
  const reader = await connection.runAndReadAll(
    `SELECT name, CAST(value AS VARCHAR) FROM duckdb_settings() WHERE name IN (${[...Object.keys(want), 'allowed_paths'].map(sqlString).join(', ')})`,
  );
  const actual = new Map(reader.getRows().map(([name, value]) => [String(name), String(value)]));
  const wrong = Object.entries(want)
    .filter(([name, value]) => actual.get(name) !== value)
    .map(([name, value]) => `${name} is ${actual.get(name) ?? 'missing'}, not ${value}`);
  const allowed = await connection.runAndReadAll(
    "SELECT unnest(CAST(current_setting('allowed_paths') AS VARCHAR[]))",
  );
  const paths = allowed.getRows().map(([path]) => String(path));
  const extra = paths.filter((path) => !expected.readablePaths.includes(path));
  if (extra.length > 0) wrong.push(`allowed_paths holds ${extra.join(', ')}, which the views do not read`);
  if (wrong.length > 0) {
    throw new SandboxSetupError(
      `DuckDB did not take the sandbox's settings, so the query is not run: ${wrong.join('; ')}`,
    );
  }
}

async function lock(connection: DuckDBConnection, readablePaths: readonly string[]): Promise<void> {
  await connection.run(`SET allowed_paths = [${readablePaths.map(sqlString).join(', ')}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

/**
 * A locked DuckDB over the lake at `lakeDir` (which need not exist) with `devices` as the
 * `devices` table. Only reads the lake, and only while the views are made.
 */
export async function openQuerySandbox(lakeDir: string, devices: readonly Device[]): Promise<QuerySandbox> {
  const spillDir = await mkdtemp(join(tmpdir(), 'coffee-iot-query-'));
  const removeSpill = () => rm(spillDir, { recursive: true, force: true });
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:', { ...INSTANCE_SETTINGS, temp_directory: spillDir });
    connection = await instance.connect();
    const files = await listLakeFiles(connection, lakeDir);
    await refuseFilesOutside(lakeDir, files);
    const summary = await createLakeViews(connection, lakeDir, devices, files);
    const readablePaths = [...files.telemetry, ...files.coffees];
    await lock(connection, readablePaths);
    await verifyLocked(connection, { readablePaths, spillDir });
    const opened = { instance, connection };
    return {
      connection,
      summary,
      readablePaths,
      close: async () => {
        opened.connection.closeSync();
        opened.instance.closeSync();
        await removeSpill();
      },
    };
  } catch (error) {
    connection?.closeSync();
    instance?.closeSync();
    await removeSpill();
    throw error;
  }
}
