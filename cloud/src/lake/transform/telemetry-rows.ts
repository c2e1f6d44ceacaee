import type { RejectedReading, TelemetryEnvelope } from '@coffee-iot/shared';
import type { TelemetryRow } from '../rows.js';
import type { RejectedRecord } from '../transform-types.js';
import type { IngestColumns } from './ingest-columns.js';
import type { ReadingDedupe } from './seen-readings.js';
import type { TelemetryLines } from './telemetry-lines.js';
import { lakeTimestampOfIso } from './timestamps.js';

const NO_REJECTED_READINGS: RejectedRecord[] = [];

/** The refused readings of one record as error entries, each naming its device, boot and seq. */
export function rejectedReadingRecords(
  recordId: string,
  envelope: TelemetryEnvelope,
  rejected: readonly RejectedReading[],
): RejectedRecord[] {
  // Shared and empty for the usual record: nothing allocated on the hot path.
  if (rejected.length === 0) return NO_REJECTED_READINGS;
  const { deviceId, bootId } = envelope;
  return rejected.map(({ index, seq, reason, reading }) => ({
    id: `${recordId}#/readings/${index}`,
    reason,
    data: JSON.stringify(reading) ?? String(reading),
    reading: { deviceId, bootId, seq },
  }));
}

/**
 * Appends one row per reading of a checked envelope (its refused readings already taken out) to
 * `target`, in order, leaving out readings `seen` already has and adding the others to it.
 * Rows go straight into the caller's array: no per-record arrays in the hot loop. Returns how
 * many readings were duplicates.
 */
export function appendTelemetryRows(
  envelope: TelemetryEnvelope,
  ingest: IngestColumns,
  seen: ReadingDedupe,
  target: TelemetryRow[],
): number {
  const { deviceId, bootId, readings } = envelope;
  let duplicates = 0;
  for (const reading of readings) {
    if (seen.has(deviceId, reading.seq)) {
      duplicates += 1;
      continue;
    }
    seen.add(deviceId, reading.seq);
    // Every key in TELEMETRY_COLUMNS order, optional sensors null: one object shape for all rows.
    target.push({
      device_id: deviceId,
      boot_id: bootId,
      seq: reading.seq,
      ts: lakeTimestampOfIso(reading.ts),
      temperature: reading.temperature,
      humidity: reading.humidity,
      pressure: reading.pressure,
      pitch: reading.pitch,
      roll: reading.roll,
      yaw: reading.yaw,
      temperature_ambient: reading.temperatureAmbient ?? null,
      temperature_cpu: reading.temperatureCpu ?? null,
      accel_x: reading.accelX ?? null,
      accel_y: reading.accelY ?? null,
      accel_z: reading.accelZ ?? null,
      gyro_x: reading.gyroX ?? null,
      gyro_y: reading.gyroY ?? null,
      gyro_z: reading.gyroZ ?? null,
      mag_x: reading.magX ?? null,
      mag_y: reading.magY ?? null,
      mag_z: reading.magZ ?? null,
      ingest_time: ingest.ingest_time,
      ingest_year: ingest.ingest_year,
      ingest_month: ingest.ingest_month,
      ingest_day: ingest.ingest_day,
      ingest_hour: ingest.ingest_hour,
    });
  }
  return duplicates;
}

// The envelope's ids and the reading's ts are written without escaping: the telemetry schema's
// patterns (thing name, UUID, ISO timestamp) admit no character JSON would escape, and only
// readings that passed it get here. Numbers print as JSON prints them (Number#toString; JSON
// has no NaN or Infinity to parse from). One prefix per envelope, one suffix per record.
let lastDeviceId = '';
let lastBootId = '';
let lastPrefix = '';
let lastIngestTime = '';
let lastSuffix = '';

/**
 * appendTelemetryRows into lines: the same readings left out as duplicates (and the others added
 * to `seen`), the same values, as text. Returns how many readings were duplicates.
 */
export function appendTelemetryLines(
  envelope: TelemetryEnvelope,
  ingest: IngestColumns,
  seen: ReadingDedupe,
  target: TelemetryLines,
): number {
  const { deviceId, bootId, readings } = envelope;
  if (deviceId !== lastDeviceId || bootId !== lastBootId) {
    lastDeviceId = deviceId;
    lastBootId = bootId;
    lastPrefix = `{"device_id":"${deviceId}","boot_id":"${bootId}","seq":`;
  }
  const prefix = lastPrefix;
  if (ingest.ingest_time !== lastIngestTime) {
    lastIngestTime = ingest.ingest_time;
    lastSuffix = `,"ingest_time":"${lastIngestTime}"}\n`;
  }
  const suffix = lastSuffix;
  let text = '';
  let duplicates = 0;
  for (const reading of readings) {
    if (seen.has(deviceId, reading.seq)) {
      duplicates += 1;
      continue;
    }
    seen.add(deviceId, reading.seq);
    const { ts } = reading;
    text += `${prefix}${reading.seq},"ts":"${ts.slice(0, 10)} ${ts.slice(11, 23)}","temperature":${reading.temperature},"humidity":${reading.humidity},"pressure":${reading.pressure},"pitch":${reading.pitch},"roll":${reading.roll},"yaw":${reading.yaw},"temperature_ambient":${reading.temperatureAmbient ?? null},"temperature_cpu":${reading.temperatureCpu ?? null},"accel_x":${reading.accelX ?? null},"accel_y":${reading.accelY ?? null},"accel_z":${reading.accelZ ?? null},"gyro_x":${reading.gyroX ?? null},"gyro_y":${reading.gyroY ?? null},"gyro_z":${reading.gyroZ ?? null},"mag_x":${reading.magX ?? null},"mag_y":${reading.magY ?? null},"mag_z":${reading.magZ ?? null}${suffix}`;
    target.rows += 1;
  }
  target.appendText(text);
  return duplicates;
}
