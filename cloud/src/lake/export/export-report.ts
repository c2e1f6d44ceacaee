import type { PhotoUrlProblem } from './photo-url-rule.js';

/** Coffees of the day left out for one reason, with a few event ids to look them up by. */
export interface LeftOutCoffees {
  readonly problem: PhotoUrlProblem;
  readonly description: string;
  readonly count: number;
  /** The first few event ids (sorted), not all of them: enough to find the rows. */
  readonly eventIds: readonly string[];
}

/** A device the registry does not know: its rows are exported with owner, location, model empty. */
export interface UnregisteredDevice {
  readonly deviceId: string;
  readonly readings: number;
  readonly coffees: number;
}

export interface NothingToExport {
  readonly status: 'nothing-to-export';
  readonly day: string;
  readonly message: string;
}

export interface DayExported {
  readonly status: 'exported';
  readonly day: string;
  readonly exportedAt: string;
  /** The export's directory (exports/{day} under the lake directory). */
  readonly directory: string;
  readonly rows: { readonly telemetry: number; readonly coffees: number };
  readonly devices: {
    readonly registered: readonly string[];
    readonly unregistered: readonly UnregisteredDevice[];
  };
  readonly coffeesLeftOut: { readonly total: number; readonly byReason: readonly LeftOutCoffees[] };
  /** Lake keys of the files written, e.g. exports/2026-03-04/telemetry.csv. */
  readonly files: readonly string[];
}

export type ExportReport = NothingToExport | DayExported;

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** The report as the CLI prints it: one line per fact, the rows left out with their reason. */
export function formatExportReport(report: ExportReport): string {
  if (report.status === 'nothing-to-export') return `${report.message}\n`;
  const lines = [
    `exported ${report.day} to ${report.directory}`,
    `  telemetry: ${plural(report.rows.telemetry, 'reading')}`,
    `  coffees:   ${plural(report.rows.coffees, 'coffee')}`,
    `  devices:   ${report.devices.registered.length} in the registry, ${report.devices.unregistered.length} not`,
  ];
  for (const device of report.devices.unregistered) {
    lines.push(
      `    ${device.deviceId}: ${plural(device.readings, 'reading')}, ${plural(device.coffees, 'coffee')} ` +
        'exported with owner, location and model empty',
    );
  }
  lines.push(`  left out: ${plural(report.coffeesLeftOut.total, 'coffee')} with no valid photo URL`);
  for (const group of report.coffeesLeftOut.byReason) {
    lines.push(
      `    ${group.count} ${group.problem}: ${group.description} (event ids: ${group.eventIds.join(', ')}${group.count > group.eventIds.length ? ', …' : ''})`,
    );
  }
  lines.push(`  files:     ${report.files.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
