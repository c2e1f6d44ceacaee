import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type DuckDBConnection, DuckDBInstance, StatementType } from '@duckdb/node-api';
import { createDeviceRepository, type Device } from '../../db/device-repository.js';
import { QUERY_FORMATS, type QueryFormat, writeQueryResult } from '../../lake/local/query-output.js';
import { createLakeViews } from '../../lake/views.js';
import { CommandFailedError, UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../cli-io.js';
import { chooseDatabase } from '../database-choice.js';
import { DEFAULT_LAKE_DIR, LAKE_DIR_ENV } from '../lake-dir.js';
import { requireCurrentSchema } from '../schema-check.js';

export const QUERY_USAGE = `Usage: coffee-iot query "SQL" [--format table|csv|json] [--lake DIR] [--database URL]

Runs one SQL statement (DuckDB's dialect) over the local lake and prints the result. Tables:
  telemetry      one row per reading, each (device_id, seq) once (the earliest arrival)
  coffees        one row per analysed photo, each photo_key once
  devices        the device registry: thing_name, owner, location, model, first_seen_at,
                 last_seen_at
  telemetry_all, coffees_all
                 every row as stored, duplicates included
Timestamps are UTC; ingest_year, ingest_month, ingest_day and ingest_hour are the partition
(strings such as '2026', '03').

Read-only: SELECT (WITH, FROM …, VALUES), DESCRIBE, SHOW, SUMMARIZE and EXPLAIN; anything that
could write (COPY, ATTACH, CREATE, SET, PRAGMA…) is refused.

  --format F        table (default): aligned columns, NULL as null; csv: a header row, NULL
                    as an empty field; json: an array of objects, timestamps ISO-8601 UTC
  --lake DIR        the local lake (default $${LAKE_DIR_ENV}, else ${DEFAULT_LAKE_DIR})
  --database URL    the device registry for \`devices\` (default $COFFEE_IOT_DATABASE_URL, else
                    sqlite:.local/coffee-iot.sqlite); when it does not exist yet, \`devices\` is
                    empty and stderr says so
  -h, --help        show this help

Example:
  coffee-iot query "SELECT device_id, date_trunc('hour', ts) AS hour, min(temperature),
    max(temperature), avg(temperature) FROM telemetry GROUP BY ALL ORDER BY ALL"

Exit status: 0 success; 1 the SQL failed (DuckDB's message on stderr) or was refused, or the
registry is unreachable; 2 bad usage.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  format: { type: 'string' },
  lake: { type: 'string' },
  database: { type: 'string' },
} as const;

/** What the query may be: statements that only read. */
const READ_ONLY = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

interface QueryCommand {
  sql: string;
  format: QueryFormat;
  lakeDir: string;
  databaseUrl: string | undefined;
}

function parse(argv: readonly string[]) {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    const seen = new Set<string>();
    for (const token of parsed.tokens) {
      if (token.kind !== 'option') continue;
      if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
      seen.add(token.name);
    }
    return parsed;
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message, { cause: error });
    }
    throw error;
  }
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} is empty`);
  return value;
}

function queryCommand(argv: readonly string[], io: CliIo): QueryCommand | 'help' {
  const { values, positionals } = parse(argv);
  if (values.help === true) return 'help';
  if (positionals.length === 0)
    throw new UsageError('missing the SQL to run (quote it: coffee-iot query "SELECT …")');
  if (positionals.length > 1) {
    throw new UsageError(`expected one SQL argument, got ${positionals.length} (quote the whole statement)`);
  }
  const sql = positionals[0] as string;
  if (sql.trim() === '') throw new UsageError('the SQL is empty');
  const format = values.format ?? 'table';
  if (!(QUERY_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be ${QUERY_FORMATS.join(', ')}; got "${format}"`);
  }
  const fromEnv = io.env[LAKE_DIR_ENV]?.trim() ? io.env[LAKE_DIR_ENV] : undefined;
  const lake = nonEmpty('--lake', values.lake) ?? fromEnv ?? DEFAULT_LAKE_DIR;
  return {
    sql,
    format: format as QueryFormat,
    lakeDir: resolve(io.cwd ?? process.cwd(), lake),
    databaseUrl: nonEmpty('--database', values.database),
  };
}

/**
 * The registry's devices for the `devices` table. A registry that is not there yet (no SQLite
 * file) leaves it empty, and stderr says so; one that is there but unreachable or not migrated
 * fails the command, as it does for `export`: joins silently missing every owner would look like
 * a registry without owners.
 */
async function registryDevices(databaseUrl: string | undefined, io: CliIo): Promise<Device[]> {
  const choice = chooseDatabase(
    { url: databaseUrl, secret: undefined, host: undefined, name: undefined },
    io,
    { mayCreate: false },
  );
  let database: Awaited<ReturnType<typeof choice.open>>;
  try {
    database = await choice.open();
  } catch (error) {
    if (!(error instanceof CommandFailedError)) throw error;
    io.stderr.write(`coffee-iot query: note: ${error.message}; the devices table is empty\n`);
    return [];
  }
  try {
    await requireCurrentSchema(database);
    return await createDeviceRepository(database).listDevices();
  } finally {
    await database.close().catch((error: unknown) => {
      io.stderr.write(
        `coffee-iot query: warning: closing the registry failed: ${(error as Error).message}\n`,
      );
    });
  }
}

/** DuckDB's own message for a SQL the user wrote (syntax, unknown column…): exit 1, nothing else. */
class SqlError extends Error {
  override readonly name = 'SqlError';
}

async function runStatement(connection: DuckDBConnection, command: QueryCommand, io: CliIo): Promise<number> {
  let prepared: Awaited<ReturnType<DuckDBConnection['prepare']>>;
  try {
    const statements = await connection.extractStatements(command.sql);
    if (statements.count !== 1) {
      throw new UsageError(`expected one SQL statement, got ${statements.count}`);
    }
    prepared = await statements.prepare(0);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // The binding prefixes its own words to DuckDB's message; the user wants DuckDB's.
    throw new SqlError((error as Error).message.replace(/^Failed to extract statements: /, ''), {
      cause: error,
    });
  }
  if (!READ_ONLY.has(prepared.statementType)) {
    throw new CommandFailedError(
      `refused a ${StatementType[prepared.statementType]} statement: query only reads (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)`,
    );
  }
  try {
    const result = await prepared.stream();
    return await writeQueryResult(result, command.format, io.stdout);
  } catch (error) {
    throw new SqlError((error as Error).message, { cause: error });
  }
}

async function runOnLake(command: QueryCommand, devices: Device[], io: CliIo): Promise<number> {
  if (!existsSync(command.lakeDir)) {
    io.stderr.write(`coffee-iot query: note: no lake at ${command.lakeDir} yet; the lake tables are empty\n`);
  }
  // In memory, with nothing but views over the lake's files: the lake is only read. The
  // configuration is locked once the views exist, and the statement check refuses anything
  // that could write (COPY … TO, ATTACH, EXPORT, SET, PRAGMA).
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await createLakeViews(connection, command.lakeDir, devices);
      await connection.run('SET lock_configuration = true');
      return await runStatement(connection, command, io);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** `coffee-iot query "SQL" …` with the arguments after `query` (QUERY_USAGE). Returns the exit code; never throws. */
export async function runQuery(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const command = queryCommand(argv, io);
    if (command === 'help') {
      io.stdout.write(QUERY_USAGE);
      return EXIT_OK;
    }
    const devices = await registryDevices(command.databaseUrl, io);
    const rows = await runOnLake(command, devices, io);
    io.stderr.write(`coffee-iot query: ${rows} ${rows === 1 ? 'row' : 'rows'}\n`);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`coffee-iot query: ${error.message}\nRun "coffee-iot query --help" for usage.\n`);
      return EXIT_USAGE;
    }
    const name =
      error instanceof Error && !['Error', 'CommandFailedError', 'SqlError'].includes(error.name)
        ? `${error.name}: `
        : '';
    io.stderr.write(`coffee-iot query: ${name}${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
