import type { TelemetryRow } from '../../rows.js';
import type { IngestColumns } from '../ingest-columns.js';
import type { ReadingDedupe } from '../seen-readings.js';
import type { ScannedTelemetry } from './scanned-telemetry.js';

/**
 * The scanned record's readings as rows in `target`, equal to what appendTelemetryRows builds for
 * the parsed record (the values are JSON.parse's own: see canonicalNumber), readings `seen`
 * already has left out and the others added to it. The row's number columns are the rules'
 * number fields in order (temperature … mag_z, as TELEMETRY_COLUMNS has them). Returns how many
 * readings were duplicates.
 */
export function appendScannedRows(
  scan: ScannedTelemetry,
  data: Uint8Array,
  deviceId: string,
  bootId: string,
  ingest: IngestColumns,
  seen: ReadingDedupe,
  target: TelemetryRow[],
): number {
  const { value, numberStart, fields } = scan;
  const at = (base: number, f: number): number | null =>
    (numberStart[base + f] as number) < 0 ? null : (value[base + f] as number);
  let duplicates = 0;
  for (let i = 0; i < scan.count; i += 1) {
    const seq = scan.seq[i] as number;
    if (seen.has(deviceId, seq)) {
      duplicates += 1;
      continue;
    }
    seen.add(deviceId, seq);
    const base = i * fields;
    // Every key in TELEMETRY_COLUMNS order, optional sensors null: one object shape for all rows.
    target.push({
      device_id: deviceId,
      boot_id: bootId,
      seq,
      ts: lakeTimestampAt(data, scan.tsStart[i] as number),
      temperature: value[base] as number,
      humidity: value[base + 1] as number,
      pressure: value[base + 2] as number,
      pitch: value[base + 3] as number,
      roll: value[base + 4] as number,
      yaw: value[base + 5] as number,
      temperature_ambient: at(base, 6),
      temperature_cpu: at(base, 7),
      accel_x: at(base, 8),
      accel_y: at(base, 9),
      accel_z: at(base, 10),
      gyro_x: at(base, 11),
      gyro_y: at(base, 12),
      gyro_z: at(base, 13),
      mag_x: at(base, 14),
      mag_y: at(base, 15),
      mag_z: at(base, 16),
      ingest_time: ingest.ingest_time,
      ingest_year: ingest.ingest_year,
      ingest_month: ingest.ingest_month,
      ingest_day: ingest.ingest_day,
      ingest_hour: ingest.ingest_hour,
    });
  }
  return duplicates;
}

const scratch = new Uint8Array(23);
const latin1 = new TextDecoder('latin1');

/** The checked ISO ts at `start` as the lake's `YYYY-MM-DD HH:MM:SS.mmm`. */
function lakeTimestampAt(data: Uint8Array, start: number): string {
  for (let i = 0; i < 23; i += 1) scratch[i] = data[start + i] as number;
  scratch[10] = 0x20;
  return latin1.decode(scratch);
}
