/** A data row the import did not take, with why. */
export interface RefusedLine {
  /** Physical line in the file (1-based, the header is line 1 unless blank lines precede it). */
  line: number;
  reason: string;
}

/** What importCsv tells its caller while it runs. */
export interface ImportProgress {
  /** Bytes of the source handed to the CSV parser so far. */
  bytesRead: number;
  /** The source's size, when the caller knows it (file size, S3 ContentLength). */
  totalBytes?: number;
  /** Data rows read (the header and blank lines are not counted): accepted + refused. */
  lines: number;
  accepted: number;
  refused: number;
}

/** Per device: how many readings were accepted and the time they span. */
export interface DeviceImportSummary {
  deviceId: string;
  /** The import's bootId for this device (import-identity.ts). */
  bootId: string;
  readings: number;
  firstTs: string;
  lastTs: string;
}

/** The file stopped being valid CSV: nothing from `line` on was read. */
export interface StoppedAt {
  line: number;
  reason: string;
}

export interface ImportReport {
  bytesRead: number;
  /** Data rows read: accepted + refused. */
  lines: number;
  /** Readings accepted (and, when importCsv resolves, accepted by the stream). */
  accepted: number;
  /** Every refused row, counted. */
  refused: number;
  /** The first refused rows, in file order (at most `maxRefusedDetails`); `refused` counts them all. */
  refusedLines: RefusedLine[];
  /** Stream records sent: one telemetry envelope each. */
  records: number;
  /** PutRecords-sized batches handed to the stream. */
  batches: number;
  devices: DeviceImportSummary[];
  /** Earliest and latest accepted ts over all devices (ISO-8601 UTC), null when none was accepted. */
  firstTs: string | null;
  lastTs: string | null;
  /** Set when a CSV syntax error (an unbalanced quote) ended the read early; null otherwise. */
  stoppedAt: StoppedAt | null;
}

/** True when every line of the file went in: nothing refused and the whole file read. */
export function importedEverything(report: ImportReport): boolean {
  return report.refused === 0 && report.stoppedAt === null;
}
