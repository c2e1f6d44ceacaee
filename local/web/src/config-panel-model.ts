// What the config panel shows for each remotely changeable setting: the value wanted, the value the
// device says is in effect, and where the change stands. The agent reports refusals and changes that
// wait for a restart under `reported.refused` / `reported.pendingRestart`, keyed by dotted name.

export type SettingInput = 'integer' | 'level';

export interface SettingSpec {
  /** The agent.json key, dotted for nested ones. */
  path: string;
  label: string;
  input: SettingInput;
}

/** The settings the agent applies live (device/src/remote-config/remote-keys.ts LIVE_KEYS). */
export const PANEL_SETTINGS: readonly SettingSpec[] = [
  { path: 'intervalMs', label: 'sampling interval (ms)', input: 'integer' },
  { path: 'batchSeconds', label: 'publish batch (s)', input: 'integer' },
  { path: 'coffee.countdownSeconds', label: 'photo countdown (s)', input: 'integer' },
  { path: 'logLevel', label: 'log level', input: 'level' },
  { path: 'healthIntervalSeconds', label: 'health interval (s)', input: 'integer' },
];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** applied: in effect as wanted; pending: the device has not answered yet; refused / restart: as reported. */
export type SettingState = 'applied' | 'pending' | 'refused' | 'restart' | 'reported';

export interface SettingRow {
  spec: SettingSpec;
  desired: unknown;
  reported: unknown;
  state: SettingState;
  /** Why the device refused it, or what waits for the restart. */
  detail: string;
}

export function valueAt(document: Record<string, unknown>, path: string): unknown {
  let node: unknown = document;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export function settingRows(
  desired: Record<string, unknown>,
  reported: Record<string, unknown>,
): SettingRow[] {
  const refused = objectOr(reported.refused);
  const pendingRestart = objectOr(reported.pendingRestart);
  return PANEL_SETTINGS.map((spec) => {
    const want = valueAt(desired, spec.path);
    const have = valueAt(reported, spec.path);
    const reason = refused[spec.path];
    if (reason !== undefined)
      return { spec, desired: want, reported: have, state: 'refused', detail: String(reason) };
    if (spec.path in pendingRestart) {
      return {
        spec,
        desired: want,
        reported: have,
        state: 'restart',
        detail: `${JSON.stringify(pendingRestart[spec.path])} at the next start`,
      };
    }
    if (want === undefined) return { spec, desired: want, reported: have, state: 'reported', detail: '' };
    const state = JSON.stringify(want) === JSON.stringify(have) ? 'applied' : 'pending';
    return { spec, desired: want, reported: have, state, detail: '' };
  });
}

export const STATE_TEXT: Readonly<Record<SettingState, string>> = {
  applied: 'applied',
  pending: 'pending',
  refused: 'refused',
  restart: 'pending restart',
  reported: '',
};

/** The form's text per setting path. */
export type ConfigPanelForm = Record<string, string>;

/**
 * The form's values as a desired update: only the fields filled in and different from what is
 * desired now. Throws with the field's label when a number is not a whole number.
 */
export function desiredChanges(
  form: Readonly<Record<string, string>>,
  desired: Record<string, unknown>,
): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const spec of PANEL_SETTINGS) {
    const text = (form[spec.path] ?? '').trim();
    if (text === '') continue;
    let value: unknown = text;
    if (spec.input === 'integer') {
      if (!/^-?\d+$/.test(text)) throw new Error(`${spec.label}: "${text}" is not a whole number`);
      value = Number(text);
    }
    if (JSON.stringify(valueAt(desired, spec.path)) !== JSON.stringify(value)) changes[spec.path] = value;
  }
  return changes;
}

export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
