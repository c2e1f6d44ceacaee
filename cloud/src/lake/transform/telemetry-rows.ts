import type { TelemetryEnvelope } from '@coffee-iot/shared';
import type { TelemetryRow } from '../rows.js';
import type { IngestColumns } from './ingest-columns.js';
import type { ReadingDedupe } from './seen-readings.js';
import { isRealIsoMillis, lakeTimestampOfIso } from './timestamps.js';

/**
 * What the schema cannot see in a schema-valid envelope, or undefined when there is nothing: a
 * `ts` that is no real moment, a `seq` past 2^53 (JSON numbers are doubles: such a seq would be
 * rounded and collide with its neighbours in the dedupe). One bad reading refuses the whole
 * record, as a schema failure does, so a record is either wholly in the lake or in errors/.
 */
export function telemetryProblems(envelope: TelemetryEnvelope): string[] | undefined {
  const { readings } = envelope;
  // The array is made only for a bad envelope: this runs once per record on the hot path.
  let problems: string[] | undefined;
  for (let i = 0; i < readings.length; i += 1) {
    const { ts, seq } = readings[i] as TelemetryEnvelope['readings'][number];
    const tsOk = isRealIsoMillis(ts);
    const seqOk = Number.isSafeInteger(seq);
    if (tsOk && seqOk) continue;
    if (problems === undefined) problems = [];
    if (!tsOk) problems.push(`/readings/${i}/ts: ${ts} is not a real UTC moment`);
    if (!seqOk) problems.push(`/readings/${i}/seq: ${seq} is past 2^53 and cannot be kept exactly`);
  }
  return problems;
}

/**
 * Appends one row per reading of a checked envelope (telemetryProblems found nothing) to
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
