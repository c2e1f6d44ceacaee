import { parseArgs } from 'node:util';
import { THING_NAME_PATTERN } from '@coffee-iot/shared';
import type { DeviceChanges } from '../db/device-repository.js';
import { MIGRATIONS } from '../db/migrations/index.js';
import { InvalidStatsOptionsError } from '../stats/stats-errors.js';
import { statsSelection } from '../stats/stats-options.js';
import type { CoffeeStatsOptions } from '../stats/stats-types.js';
import { UsageError } from './cli-errors.js';

/** How the user picked the database; resolved by database-choice.ts. */
export interface DatabaseFlags {
  url: string | undefined;
  secret: string | undefined;
  host: string | undefined;
  name: string | undefined;
}

export const COMMANDS = ['db migrate', 'db status', 'devices list', 'devices set', 'stats'] as const;
export type CommandName = (typeof COMMANDS)[number];
export const GROUPS = ['db', 'devices'] as const;
export type HelpTopic = 'main' | (typeof GROUPS)[number] | CommandName;

export type Command =
  | { name: 'help'; topic: HelpTopic }
  | { name: 'db migrate'; database: DatabaseFlags; to: string | undefined }
  | { name: 'db status'; database: DatabaseFlags }
  | { name: 'devices list'; database: DatabaseFlags; json: boolean }
  | { name: 'devices set'; database: DatabaseFlags; thing: string; changes: DeviceChanges }
  | { name: 'stats'; database: DatabaseFlags; json: boolean; stats: CoffeeStatsOptions };

// One option table for every command, so flags may come anywhere on the line; which flag belongs
// to which command is checked after parsing (COMMAND_FLAGS).
const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  database: { type: 'string' },
  'db-secret': { type: 'string' },
  'db-host': { type: 'string' },
  'db-name': { type: 'string' },
  to: { type: 'string' },
  json: { type: 'boolean' },
  owner: { type: 'string' },
  location: { type: 'string' },
  model: { type: 'string' },
  device: { type: 'string' },
  from: { type: 'string' },
  latest: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

const DATABASE_FLAGS: readonly OptionName[] = ['database', 'db-secret', 'db-host', 'db-name'];
const COMMAND_FLAGS: Record<CommandName, readonly OptionName[]> = {
  'db migrate': ['to'],
  'db status': [],
  'devices list': ['json'],
  'devices set': ['owner', 'location', 'model'],
  stats: ['device', 'from', 'to', 'latest', 'json'],
};
const SUBCOMMANDS: Record<(typeof GROUPS)[number], readonly string[]> = {
  db: ['migrate', 'status'],
  devices: ['list', 'set'],
};

function parse(argv: readonly string[]): { values: Values; positionals: string[] } {
  try {
    const { values, positionals, tokens } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
    // parseArgs keeps the last of a repeated flag; a repeated flag is more likely a slip than intent.
    const seen = new Set<string>();
    for (const token of tokens) {
      if (token.kind !== 'option') continue;
      if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
      seen.add(token.name);
    }
    return { values: values as Values, positionals };
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message, { cause: error });
    }
    throw error;
  }
}

function commandPath(positionals: readonly string[]): { topic: HelpTopic; rest: string[] } {
  const [first, second, ...rest] = positionals;
  if (first === undefined) return { topic: 'main', rest: [] };
  if (first === 'stats') return { topic: 'stats', rest: second === undefined ? [] : [second, ...rest] };
  if (first === 'db' || first === 'devices') {
    if (second === undefined) return { topic: first, rest: [] };
    const name = `${first} ${second}`;
    if (!(COMMANDS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown command "${name}" (${first} has: ${SUBCOMMANDS[first].join(', ')})`);
    }
    return { topic: name as CommandName, rest };
  }
  throw new UsageError(`unknown command "${first}" (expected db, devices, stats or help)`);
}

function helpTopic(words: readonly string[]): HelpTopic {
  const { topic, rest } = commandPath(words);
  if (rest.length > 0) throw new UsageError(`no help for "${words.join(' ')}"`);
  return topic;
}

function databaseFlags(values: Values): DatabaseFlags {
  const flags: DatabaseFlags = {
    url: values.database,
    secret: values['db-secret'],
    host: values['db-host'],
    name: values['db-name'],
  };
  if (flags.url !== undefined && flags.secret !== undefined) {
    throw new UsageError('give either --database or --db-secret, not both');
  }
  if (flags.secret === undefined) {
    for (const flag of ['db-host', 'db-name'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies only with --db-secret`);
    }
  }
  for (const flag of DATABASE_FLAGS) {
    if (values[flag] === '') throw new UsageError(`--${flag} is empty`);
  }
  return flags;
}

function checkThingName(flag: string, value: string): string {
  if (!THING_NAME_PATTERN.test(value)) {
    throw new UsageError(
      `${flag} "${value}" is not a thing name (1-128 letters, digits, colons, underscores or hyphens)`,
    );
  }
  return value;
}

function deviceChanges(values: Values): DeviceChanges {
  const changes: DeviceChanges = {};
  for (const field of ['owner', 'location', 'model'] as const) {
    const value = values[field];
    // An empty value is how the user clears a field: `--owner ""`.
    if (value !== undefined) changes[field] = value === '' ? null : value;
  }
  if (Object.keys(changes).length === 0) {
    throw new UsageError('devices set needs at least one of --owner, --location, --model');
  }
  return changes;
}

function statsOptions(values: Values): CoffeeStatsOptions {
  const options: CoffeeStatsOptions = {};
  if (values.device !== undefined) options.deviceId = checkThingName('--device', values.device);
  if (values.from !== undefined) options.fromDay = values.from;
  if (values.to !== undefined) options.toDay = values.to;
  if (values.latest !== undefined) {
    if (!/^\d+$/.test(values.latest)) {
      throw new UsageError(`--latest must be a whole number, got "${values.latest}"`);
    }
    options.latest = Number(values.latest);
  }
  try {
    statsSelection(options, { deviceId: '--device', fromDay: '--from', toDay: '--to', latest: '--latest' });
  } catch (error) {
    if (error instanceof InvalidStatsOptionsError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  return options;
}

function migrationName(value: string | undefined): string | undefined {
  if (value !== undefined && !(value in MIGRATIONS)) {
    throw new UsageError(
      `--to: no migration named "${value}" (known: ${Object.keys(MIGRATIONS).join(', ')})`,
    );
  }
  return value;
}

/** argv (without node and the script) → the command to run. Throws UsageError naming the problem. */
export function parseCommandLine(argv: readonly string[]): Command {
  const { values, positionals } = parse(argv);
  if (positionals[0] === 'help') return { name: 'help', topic: helpTopic(positionals.slice(1)) };
  const { topic, rest } = commandPath(positionals);
  if (values.help) return { name: 'help', topic };
  if (topic === 'main') throw new UsageError('missing command (db, devices, stats or help)');
  if (topic === 'db' || topic === 'devices') {
    const error = new UsageError(`"${topic}" needs a subcommand: ${SUBCOMMANDS[topic].join(' or ')}`);
    error.command = topic;
    throw error;
  }

  try {
    return commandFor(topic, rest, values);
  } catch (error) {
    if (error instanceof UsageError) error.command = topic;
    throw error;
  }
}

function commandFor(topic: CommandName, rest: readonly string[], values: Values): Command {
  const allowed = new Set<OptionName>(['help', ...DATABASE_FLAGS, ...COMMAND_FLAGS[topic]]);
  const misplaced = (Object.keys(values) as OptionName[]).filter((flag) => !allowed.has(flag));
  if (misplaced.length > 0) {
    throw new UsageError(`${misplaced.map((flag) => `--${flag}`).join(', ')} does not apply to "${topic}"`);
  }
  const expectedArgs = topic === 'devices set' ? 1 : 0;
  if (rest.length > expectedArgs)
    throw new UsageError(`unexpected arguments: ${rest.slice(expectedArgs).join(' ')}`);
  const database = databaseFlags(values);

  switch (topic) {
    case 'db migrate':
      return { name: topic, database, to: migrationName(values.to) };
    case 'db status':
      return { name: topic, database };
    case 'devices list':
      return { name: topic, database, json: values.json === true };
    case 'devices set': {
      const thing = rest[0];
      if (thing === undefined) throw new UsageError("devices set needs a THING (the device's thing name)");
      return { name: topic, database, thing: checkThingName('THING', thing), changes: deviceChanges(values) };
    }
    case 'stats':
      return { name: topic, database, json: values.json === true, stats: statsOptions(values) };
  }
}
