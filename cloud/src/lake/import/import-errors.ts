import type { ImportReport } from './import-report.js';

export interface HeaderProblems {
  /** Required columns the header does not name (snake_case). */
  missing: readonly string[];
  /** Header cells that name no column of the format, as written. */
  unknown: readonly string[];
  /** Anything else: empty names, a column named twice, no header at all. */
  other: readonly string[];
}

/**
 * The file's header does not describe the CSV format (csv-format.ts), or there is no header. Thrown
 * before anything is sent: fix the file and import it again.
 */
export class ImportHeaderError extends Error {
  override readonly name = 'ImportHeaderError';
  readonly missing: readonly string[];
  readonly unknown: readonly string[];
  readonly other: readonly string[];

  constructor(problems: HeaderProblems, options?: ErrorOptions) {
    super(describeHeaderProblems(problems), options);
    this.missing = problems.missing;
    this.unknown = problems.unknown;
    this.other = problems.other;
  }
}

function describeHeaderProblems({ missing, unknown, other }: HeaderProblems): string {
  const parts = [...other];
  if (missing.length > 0) parts.push(`missing required column(s): ${missing.join(', ')}`);
  if (unknown.length > 0) {
    parts.push(
      `unknown column(s): ${unknown.map((name) => JSON.stringify(name)).join(', ')} ` +
        '(remove them, or rename them to a column of the format; see "coffee-iot import --help")',
    );
  }
  return `bad CSV header: ${parts.join('; ')}`;
}

/**
 * The import stopped part-way: the source failed to read, or the stream kept refusing records.
 * `report` says how far it got (`accepted` counts readings the stream took). Importing the same file
 * again is safe: the readings already sent carry the same (deviceId, seq) and the lake keeps one.
 */
export class ImportInterruptedError extends Error {
  override readonly name = 'ImportInterruptedError';
  readonly report: ImportReport;

  constructor(message: string, options: ErrorOptions & { report: ImportReport }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.report = options.report;
  }
}

/** Something the import built breaks the telemetry contract: a bug here, never the file's fault. */
export class ImportInvariantError extends Error {
  override readonly name = 'ImportInvariantError';
}
