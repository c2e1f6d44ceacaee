import { existsSync } from 'node:fs';
import type { Device } from '../../db/device-repository.js';
import { QUERY_FORMATS, type QueryFormat, writeQueryResult } from '../../lake/local/query-output.js';
import {
  duckdbMessage,
  fileGateRefusal,
  openQuerySandbox,
  prepareReadOnly,
  QueryRefusedError,
} from '../../lake/query-sandbox/index.js';
import { UsageError } from '../cli-errors.js';
import { type CliIo, EXIT_OK } from '../cli-io.js';
import { nonEmpty, parseCommandLine, runLakeCommand } from '../lake-command.js';
import { DEFAULT_LAKE_DIR, LAKE_DIR_ENV, resolveLakeDir } from '../lake-dir.js';
import { registryDevices } from '../lake-registry.js';

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

One read-only statement, checked by DuckDB's own parser: SELECT, WITH, VALUES, FROM …,
PIVOT … IN (…), DESCRIBE, SHOW, SUMMARIZE, or EXPLAIN followed by one of those. Refused, with
the reason: anything else (COPY, EXPORT, ATTACH, INSTALL, LOAD, PRAGMA, SET, CALL, CREATE,
INSERT…), EXPLAIN ANALYZE (it runs the statement), a second statement, and table functions
that act (enable_logging, query, checkpoint…). DuckDB runs in memory, locked once the tables
are made: it reads only the Parquet files those tables read (no other file, listing or URL),
installs and loads no extension, and no setting can be changed. Nothing is written.

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

Exit status: 0 success; 1 the SQL failed (DuckDB's message on stderr) or was refused (the
message says why), or the registry is unreachable; 2 bad usage.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  format: { type: 'string' },
  lake: { type: 'string' },
  database: { type: 'string' },
} as const;

interface QueryCommand {
  sql: string;
  format: QueryFormat;
  lakeDir: string;
  databaseUrl: string | undefined;
}

function queryCommand(argv: readonly string[], io: CliIo): QueryCommand | 'help' {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, { allowPositionals: true });
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
  return {
    sql,
    format: format as QueryFormat,
    lakeDir: resolveLakeDir(values.lake, io),
    databaseUrl: nonEmpty('--database', values.database),
  };
}

/** DuckDB's own message for a SQL the user wrote (syntax, unknown column…): exit 1, nothing else. */
class SqlError extends Error {
  override readonly name = 'SqlError';
}

/** A refusal (the statement, or a path DuckDB's gate refused) as it is; any other DuckDB error as a SqlError. */
function queryError(error: unknown): Error {
  if (error instanceof QueryRefusedError) return error;
  return fileGateRefusal(error) ?? new SqlError(duckdbMessage(error), { cause: error });
}

async function runOnLake(command: QueryCommand, devices: Device[], io: CliIo): Promise<number> {
  if (!existsSync(command.lakeDir)) {
    io.stderr.write(`coffee-iot query: note: no lake at ${command.lakeDir} yet; the lake tables are empty\n`);
  }
  // The views and `devices` are made, then the sandbox is locked, before the statement is even
  // parsed (query-sandbox/sandbox.ts); the statement check then refuses all but one read-only
  // statement (query-sandbox/statement-check.ts).
  const sandbox = await openQuerySandbox(command.lakeDir, devices);
  try {
    const prepared = await prepareReadOnly(sandbox.connection, command.sql);
    const result = await prepared.stream();
    return await writeQueryResult(result, command.format, io.stdout);
  } catch (error) {
    throw queryError(error);
  } finally {
    await sandbox.close();
  }
}

/** `coffee-iot query "SQL" …` with the arguments after `query` (QUERY_USAGE). Returns the exit code; never throws. */
export function runQuery(argv: readonly string[], io: CliIo): Promise<number> {
  return runLakeCommand(
    {
      name: 'query',
      usage: QUERY_USAGE,
      parse: queryCommand,
      run: async (command) => {
        const devices = await registryDevices(command.databaseUrl, io, {
          command: 'query',
          announce: false,
          whenMissing: 'the devices table is empty',
        });
        const rows = await runOnLake(command, devices, io);
        io.stderr.write(`coffee-iot query: ${rows} ${rows === 1 ? 'row' : 'rows'}\n`);
        return EXIT_OK;
      },
      plainErrors: ['SqlError', 'QueryRefusedError'],
    },
    argv,
    io,
  );
}
