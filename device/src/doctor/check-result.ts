/** One line of `coffee-iot-agent doctor`: what was checked, how it went, and what to do. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do about it, one line; empty when there is nothing to do. */
  fix: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail, fix: '' });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: 'warn',
  detail,
  fix,
});
export const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: 'fail',
  detail,
  fix,
});

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Multi-line messages (bindings' search list, NODE_MODULE_VERSION) keep to their first line.
  return error.message.split('\n')[0] ?? error.message;
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
