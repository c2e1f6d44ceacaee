import type { BatcherCounts } from './envelope-batcher.js';
import type { DeviceImportSummary, ImportReport, RefusedLine, StoppedAt } from './import-report.js';

interface DeviceTally {
  bootId: string;
  readings: number;
  /** ISO-8601 UTC strings of one fixed form compare like the times they name. */
  firstTs: string;
  lastTs: string;
}

/** Counts what an import accepted and refused as it goes, and turns that into the report. */
export class ImportTally {
  lines = 0;
  accepted = 0;
  refused = 0;
  private readonly refusedLines: RefusedLine[] = [];
  private readonly devices = new Map<string, DeviceTally>();

  constructor(
    private readonly maxRefusedDetails: number,
    private readonly onRefused: ((refused: RefusedLine) => void) | undefined,
  ) {}

  accept(deviceId: string, bootId: string, ts: string): void {
    this.lines += 1;
    this.accepted += 1;
    const device = this.devices.get(deviceId);
    if (device === undefined) {
      this.devices.set(deviceId, { bootId, readings: 1, firstTs: ts, lastTs: ts });
      return;
    }
    device.readings += 1;
    if (ts < device.firstTs) device.firstTs = ts;
    if (ts > device.lastTs) device.lastTs = ts;
  }

  refuse(line: number, reason: string): void {
    this.lines += 1;
    this.refused += 1;
    const refused = { line, reason };
    if (this.refusedLines.length < this.maxRefusedDetails) this.refusedLines.push(refused);
    this.onRefused?.(refused);
  }

  report(bytesRead: number, sent: BatcherCounts, stoppedAt: StoppedAt | null): ImportReport {
    const devices: DeviceImportSummary[] = [...this.devices]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([deviceId, device]) => ({ deviceId, ...device }));
    const firsts = devices.map((device) => device.firstTs).sort();
    const lasts = devices.map((device) => device.lastTs).sort();
    return {
      bytesRead,
      lines: this.lines,
      accepted: this.accepted,
      refused: this.refused,
      refusedLines: [...this.refusedLines],
      records: sent.records,
      batches: sent.batches,
      devices,
      firstTs: firsts[0] ?? null,
      lastTs: lasts.at(-1) ?? null,
      stoppedAt,
    };
  }
}
