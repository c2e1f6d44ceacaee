import type { ImportReport, RefusedLine } from './import-report.js';

const number = new Intl.NumberFormat('en-US');

/** The report as the CLI prints it on stdout. */
export function renderImportReport(report: ImportReport, source: string, target: string): string {
  const lines = [`Imported ${source} into ${target}`];
  const devices = report.devices.map((device) => `${device.deviceId}: ${number.format(device.readings)}`);
  lines.push(`  lines read   ${number.format(report.lines)}`);
  lines.push(
    `  accepted     ${number.format(report.accepted)} reading(s)` +
      (devices.length > 0 ? ` from ${devices.length} device(s) (${devices.join(', ')})` : ''),
  );
  lines.push(`  refused      ${number.format(report.refused)} line(s)`);
  lines.push(
    `  sent         ${number.format(report.records)} record(s) in ${number.format(report.batches)} batch(es)`,
  );
  if (report.firstTs !== null) lines.push(`  readings     ${report.firstTs} to ${report.lastTs}`);
  if (report.refusedLines.length > 0) {
    lines.push('', 'Refused lines:');
    for (const refused of report.refusedLines) lines.push(`  line ${refused.line}: ${refused.reason}`);
    const more = report.refused - report.refusedLines.length;
    if (more > 0) lines.push(`  … and ${number.format(more)} more (--report FILE lists them all)`);
  }
  if (report.stoppedAt !== null) {
    lines.push('', `Stopped at line ${report.stoppedAt.line}: ${report.stoppedAt.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One CSV field, quoted when it must be (RFC 4180). */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const REFUSED_CSV_HEADER = 'line,reason\n';

/** One row of the `--report FILE` CSV. */
export function refusedCsvRow(refused: RefusedLine): string {
  return `${refused.line},${csvField(refused.reason)}\n`;
}
