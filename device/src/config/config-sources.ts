import { CONFIG_PATH_ENV, ENV_PREFIX } from './agent-config.js';
import { coerce } from './coerce.js';
import { CONFIG_FLAGS, type ConfigFlagValues } from './config-flags.js';
import { type ConfigFs, errnoCode } from './config-fs.js';
import { configKeyByEnvName, configKeyByPath } from './config-keys.js';

/** A value for one dotted key and where it came from (quoted in error messages). */
export interface Assignment {
  path: string;
  value: unknown;
  origin: string;
}

export interface SourceResult {
  assignments: Assignment[];
  problems: string[];
}

export interface FileResult extends SourceResult {
  /** The parsed document, kept whole so the schema sees (and rejects) unknown keys. */
  document: Record<string, unknown> | null;
  missing: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Line and column (1-based) of a character offset, for pointing at a JSON syntax error. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function jsonProblem(path: string, text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Node 20 says "… at position N"; Node 22 adds "(line L column C)". Without a position
  // ("Unexpected end of JSON input") the file ended early.
  const match = /position (\d+)/.exec(message);
  const offset = match?.[1] === undefined ? text.length : Number(match[1]);
  const { line, column } = lineAndColumn(text, offset);
  return `config file ${path}: invalid JSON at line ${line}, column ${column}: ${message}`;
}

function leafAssignments(value: unknown, prefix: string, origin: string, out: Assignment[]): void {
  if (isPlainObject(value)) {
    for (const [name, child] of Object.entries(value)) {
      leafAssignments(child, prefix === '' ? name : `${prefix}.${name}`, origin, out);
    }
    return;
  }
  out.push({ path: prefix, value, origin });
}

/**
 * Reads agent.json. A missing file is reported only when it was asked for explicitly;
 * the caller decides what a missing default file means.
 */
export function readConfigFile(path: string, explicit: boolean, fs: ConfigFs): FileResult {
  let text: string;
  try {
    text = fs.readText(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' && !explicit)
      return { document: null, missing: true, assignments: [], problems: [] };
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read it (${code ?? String(error)})`;
    return {
      document: null,
      missing: code === 'ENOENT',
      assignments: [],
      problems: [`config file ${path}: ${reason}`],
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { document: null, missing: false, assignments: [], problems: [jsonProblem(path, text, error)] };
  }
  if (!isPlainObject(parsed)) {
    return {
      document: null,
      missing: false,
      assignments: [],
      problems: [`config file ${path}: expected a JSON object of settings, got ${JSON.stringify(parsed)}`],
    };
  }
  const assignments: Assignment[] = [];
  leafAssignments(parsed, '', path, assignments);
  return { document: parsed, missing: false, assignments, problems: [] };
}

/** `COFFEE_IOT_<SCREAMING_SNAKE path>` variables; any other COFFEE_IOT_* name is a mistake. */
export function envAssignments(env: Readonly<Record<string, string | undefined>>): SourceResult {
  const assignments: Assignment[] = [];
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_PATH_ENV || raw === undefined) continue;
    const key = configKeyByEnvName(name);
    if (!key) {
      problems.push(
        `${name}: unknown environment variable (COFFEE_IOT_* must name a config key, see --help)`,
      );
      continue;
    }
    const coerced = coerce(raw, key.type);
    if (coerced.ok) assignments.push({ path: key.path, value: coerced.value, origin: name });
    else problems.push(`${key.path}: ${JSON.stringify(raw)} is not ${coerced.expected} (from ${name})`);
  }
  return { assignments, problems };
}

export function flagAssignments(flags: ConfigFlagValues): SourceResult {
  const assignments: Assignment[] = [];
  const problems: string[] = [];
  for (const { flag, path } of CONFIG_FLAGS) {
    const raw = flags[flag];
    if (raw === undefined) continue;
    const origin = `--${flag}`;
    if (typeof raw === 'boolean') {
      assignments.push({ path, value: raw, origin });
      continue;
    }
    const key = configKeyByPath(path);
    if (!key) throw new Error(`flag ${origin} maps to unknown config key ${path}`);
    const coerced = coerce(raw, key.type);
    if (coerced.ok) assignments.push({ path, value: coerced.value, origin });
    else problems.push(`${path}: ${JSON.stringify(raw)} is not ${coerced.expected} (from ${origin})`);
  }
  return { assignments, problems };
}

/**
 * Sets a dotted path, creating missing parent objects. When a parent exists but is not an
 * object (a mistake in the file), it is left alone so the schema reports it.
 */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop();
  if (last === undefined) return;
  let node: Record<string, unknown> = target;
  for (const part of parts) {
    const next = node[part];
    if (next === undefined) node[part] = {};
    else if (!isPlainObject(next)) return;
    node = node[part] as Record<string, unknown>;
  }
  node[last] = value;
}
