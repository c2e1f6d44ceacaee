import { LATEST_MIGRATION } from '../db/migrations/index.js';
import { DEFAULT_LATEST } from '../stats/stats-options.js';
import type { HelpTopic } from './command-line.js';

export const DATABASE_URL_ENV = 'COFFEE_IOT_DATABASE_URL';
/** Where `npm start` (the local stack) keeps its database, relative to where it runs. */
export const DEFAULT_DATABASE_URL = 'sqlite:.local/coffee-iot.sqlite';

const DATABASE_OPTIONS = [
  'Database options (db, devices and stats; query and export read the device registry with them):',
  '  --database URL            sqlite:PATH, a path ending .sqlite or .db, or',
  '                            mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl=rds|off|CA_FILE]',
  '                            (percent-encode @ : / ? # % in the user name and password; ssl',
  '                            defaults to rds for *.rds.amazonaws.com and off for localhost,',
  '                            and must be given for any other host)',
  `                            default: $${DATABASE_URL_ENV}, else ${DEFAULT_DATABASE_URL}`,
  '  --db-secret ARN_OR_NAME   Aurora: read host, port, user and password from this Secrets Manager',
  '                            secret (AWS credentials and region from the usual AWS environment);',
  '                            TLS verified against the Amazon RDS CA',
  '  --db-host HOST            with --db-secret: connect here instead (the RDS Proxy endpoint)',
  '  --db-name NAME            with --db-secret: the database name, if the secret has none',
  '  -h, --help                show help (also: coffee-iot help COMMAND)',
  '',
  'The database in use is named on stderr. Only `db migrate` changes the schema; the other',
  'commands refuse a database that is not at the schema this coffee-iot needs.',
  '',
  'Exit codes: 0 success; 1 the command failed (database unreachable, not migrated, migration',
  'failed; db status: schema not current); 2 bad usage or database URL.',
];

const TEXTS: Record<HelpTopic, string[]> = {
  main: [
    'Usage: coffee-iot COMMAND [options]',
    '',
    'Commands:',
    '  db migrate [--to NAME]    bring the database schema to the newest version (or to NAME)',
    '  db status                 show the schema version and what is pending',
    '  devices list [--json]     list the device registry',
    '  devices set THING [--owner X] [--location Y] [--model Z]',
    '                            register a device or change its fields ("" clears a field)',
    '  stats [--device THING] [--from DAY] [--to DAY] [--latest N] [--json]',
    '                            cups, attribute rates, cups by hour and day, latest coffees',
    '',
    'Lake commands (local lake directory: --lake DIR, default $COFFEE_IOT_LAKE_DIR, else .local/lake):',
    '  query "SQL" [--format table|csv|json]',
    '                            SQL over the lake tables telemetry, coffees and devices (DuckDB)',
    '  import FILE.csv [--stream NAME | --delivery-stream NAME]',
    '                            backfill readings from a CSV, with a report of refused lines',
    '  replay --from T --to T    rebuild the curated partitions of an ingest-time window from raw/',
    "  export [--date DAY]       the day's readings and coffees joined with devices, CSV and Parquet",
    '',
    'Device commands (AWS IoT Core; AWS credentials and region from the usual AWS environment):',
    '  provision THING [--out DIR] [--stack NAME]',
    '                            register a Pi: thing, certificate, policy, and its bundle in DIR/',
    '  deprovision THING         delete its certificates and the thing',
    '',
    'Fleet commands (the local stack by default; --aws for AWS IoT Core):',
    '  devices config THING [--set KEY=VALUE]...',
    "                            show or change a device's live configuration (no restart)",
    '  jobs run OPERATION --things A,B [--param KEY=VALUE]... [--wait]',
    '                            capture-photo, upload-logs, set-config, restart, update-agent, rotate-cert',
    "  jobs status JOB_ID [--wait]  each device's progress on a job",
    '  devices rotate-cert THING [--wait]',
    '                            a new certificate for a device; the old one is retired after',
    '',
    '  help [COMMAND]            show help',
  ],
  db: [
    'Usage: coffee-iot db migrate [--to NAME] [options]',
    '       coffee-iot db status [options]',
    '',
    'Manage the database schema. See `coffee-iot help db migrate` and `coffee-iot help db status`.',
  ],
  'db migrate': [
    'Usage: coffee-iot db migrate [--to NAME] [options]',
    '',
    `Applies every migration not yet applied (the newest is ${LATEST_MIGRATION}), printing each one`,
    'and the version the database is at afterwards. Safe to run again and concurrently. A SQLite',
    'file is created if it does not exist.',
    '',
    '  --to NAME                 migrate up or down to this migration instead (down drops data)',
  ],
  'db status': [
    'Usage: coffee-iot db status [options]',
    '',
    'Shows the schema version, the migrations still to apply and, on a current schema, how many',
    'devices and coffees the database holds. Exit code 0 when the schema is current, 1 otherwise.',
  ],
  devices: [
    'Usage: coffee-iot devices list [--json] [options]',
    '       coffee-iot devices set THING [--owner X] [--location Y] [--model Z] [options]',
    '',
    'The device registry. See `coffee-iot help devices list` and `coffee-iot help devices set`.',
  ],
  'devices list': [
    'Usage: coffee-iot devices list [--json] [options]',
    '',
    'Lists every registered device: thing name, owner, location, model, first and last seen (UTC).',
    '',
    '  --json                    print a JSON array instead of a table',
  ],
  'devices set': [
    'Usage: coffee-iot devices set THING [--owner X] [--location Y] [--model Z] [options]',
    '',
    'Registers THING (an AWS IoT thing name) if it is new, and sets the given fields. Fields not',
    'given are left as they are; an empty value ("") clears a field.',
    '',
    '  --owner X                 who looks after the machine',
    '  --location Y              where it stands',
    '  --model Z                 the coffee machine model',
  ],
  stats: [
    'Usage: coffee-iot stats [--device THING] [--from DAY] [--to DAY] [--latest N] [--json] [options]',
    '',
    'Cups (every photo is a cup, analysed or not), the share of cups with a person, smiling, with',
    'eyeglasses, sunglasses, beard or mustache (over the cups where the analyzer could tell),',
    'overall and per device; cups by UTC hour and by UTC day; and the latest coffees.',
    '',
    '  --device THING            only this device',
    '  --from DAY, --to DAY      only these UTC days, yyyy-mm-dd, both included',
    `  --latest N                how many latest coffees to list (default ${DEFAULT_LATEST})`,
    '  --json                    print the statistics as JSON',
  ],
};

export function usageText(topic: HelpTopic): string {
  return [...TEXTS[topic], '', ...DATABASE_OPTIONS, ''].join('\n');
}
