/**
 * `--set key=value` as the shadow receives it: a value that reads as JSON (10, true, null, "x",
 * {"a":1}) is that JSON, anything else a string; the device's own config schema then checks it
 * and reports what it refused, so the CLI does not second-guess the agent's rules.
 */
export class SettingError extends Error {
  override readonly name = 'SettingError';
}

const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

export function parseSettings(assignments: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw new SettingError(`"${assignment}" is not key=value`);
    const key = assignment.slice(0, equals);
    if (!KEY_PATTERN.test(key))
      throw new SettingError(`"${key}" is not a configuration key (e.g. batchSeconds)`);
    setPath(values, key.split('.'), parseValue(assignment.slice(equals + 1)), key);
  }
  return values;
}

/** `a.b=1` is `{ a: { b: 1 } }`, as agent.json nests it. */
function setPath(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
  key: string,
): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    if (Object.hasOwn(target, head)) throw new SettingError(`${key} is set more than once`);
    target[head] = value;
    return;
  }
  const existing = target[head];
  if (existing !== undefined && (typeof existing !== 'object' || existing === null)) {
    throw new SettingError(`${key} conflicts with ${head}, set as a value`);
  }
  const child = (existing as Record<string, unknown> | undefined) ?? {};
  target[head] = child;
  setPath(child, rest, value, key);
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
