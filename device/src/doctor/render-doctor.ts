import type { CheckResult, CheckStatus } from './check-result.js';

const MARKS: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };

/** One line per check: mark, name, what was found, and the fix after an arrow. */
export function renderDoctorTable(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.name.length));
  // One line per check, whatever a program or an error message put in the text.
  const flat = (text: string) => text.replace(/\s*\n\s*/g, ' ');
  const lines = results.map(
    ({ status, name, detail, fix }) =>
      `${MARKS[status]} ${name.padEnd(width)}  ${flat(detail)}${fix ? `  → ${flat(fix)}` : ''}`,
  );
  const failed = results.filter((result) => result.status === 'fail').length;
  const warned = results.filter((result) => result.status === 'warn').length;
  lines.push(
    '',
    failed === 0 && warned === 0
      ? `all ${results.length} checks passed`
      : `${failed} failed, ${warned} warning${warned === 1 ? '' : 's'}, ${results.length} checks`,
  );
  return `${lines.join('\n')}\n`;
}

/** `--json`: an array of {name, status, detail, fix}. */
export function renderDoctorJson(results: readonly CheckResult[]): string {
  const plain = results.map(({ name, status, detail, fix }) => ({ name, status, detail, fix }));
  return `${JSON.stringify(plain, null, 2)}\n`;
}
