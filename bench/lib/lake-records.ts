import { type TelemetryEnvelope, type TelemetryReading, telemetryIngestRecord } from '@coffee-iot/shared';
import type { IngestRecord } from '../../cloud/src/stream/ingest-stream.js';

/** Stream records for the lake benchmarks. */
export const BOOT_ID = '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
const encoder = new TextEncoder();

export const deviceName = (device: number) => `coffee-pi-${String(device).padStart(2, '0')}`;

/**
 * `total` readings as telemetry stream records (what the IoT rule puts on the stream) of
 * `perRecord` readings each, devices round-robin, one second apart per device. Every reading has
 * every optional sensor field, as the agent on a Pi sends them: the largest real shape.
 */
export function telemetryStreamRecords(total: number, perRecord: number, devices: number): IngestRecord[] {
  const records: IngestRecord[] = [];
  for (const batch of telemetryBatches(total, perRecord, devices, Number.POSITIVE_INFINITY)) {
    for (const record of batch.records) records.push(record);
  }
  return records;
}

/** Reading `seq` of device number `device`: every optional sensor field, values from a slow wave. */
export function benchReading(device: number, seq: number): TelemetryReading {
  const wave = Math.sin(seq / 600 + device);
  return {
    seq,
    ts: new Date(FIRST_READING_MS + seq * 1000).toISOString(),
    temperature: Number((31 + wave).toFixed(2)),
    humidity: Number((38 + 2 * wave).toFixed(2)),
    pressure: Number((1012 + wave / 3).toFixed(2)),
    pitch: Number((1.2 + wave / 10).toFixed(3)),
    roll: Number((358.9 - wave / 10).toFixed(3)),
    yaw: Number((92.3 + wave).toFixed(3)),
    temperatureAmbient: Number((22 + wave / 2).toFixed(2)),
    temperatureCpu: Number((50 + 4 * wave).toFixed(1)),
    accelX: Number((0.01 * wave).toFixed(4)),
    accelY: Number((-0.02 * wave).toFixed(4)),
    accelZ: Number((0.99 + 0.001 * wave).toFixed(4)),
    gyroX: Number((0.001 * wave).toFixed(4)),
    gyroY: Number((0.002 * wave).toFixed(4)),
    gyroZ: Number((-0.001 * wave).toFixed(4)),
    magX: Number((21.3 + wave).toFixed(3)),
    magY: Number((-4.1 + wave).toFixed(3)),
    magZ: Number((40.7 - wave).toFixed(3)),
  };
}

/** One telemetry stream record of device number `device` carrying `readings`. */
export function telemetryStreamRecord(device: number, readings: TelemetryReading[]): IngestRecord {
  const envelope: TelemetryEnvelope = { v: 1, deviceId: deviceName(device), bootId: BOOT_ID, readings };
  return {
    partitionKey: envelope.deviceId,
    data: encoder.encode(JSON.stringify(telemetryIngestRecord(envelope))),
  };
}

export interface ArrivingBatch {
  records: IngestRecord[];
  /** The last reading's time plus 2 s: when such a batch would reach the stream. */
  arrivedAt: Date;
}

export const FIRST_READING_MS = Date.UTC(2026, 2, 5, 0, 0, 0);

/**
 * The same readings as telemetryStreamRecords, made lazily `batchRecords` stream records at a
 * time (ten million readings are 3 GB of JSON: too much to hold at once).
 */
export function* telemetryBatches(
  total: number,
  perRecord: number,
  devices: number,
  batchRecords: number,
): Generator<ArrivingBatch> {
  const seqs = new Array<number>(devices).fill(0);
  let made = 0;
  let records: IngestRecord[] = [];
  let lastMs = FIRST_READING_MS;
  for (let r = 0; made < total; r += 1) {
    const device = r % devices;
    const count = Math.min(perRecord, total - made);
    const readings: TelemetryReading[] = [];
    for (let i = 0; i < count; i += 1) {
      const seq = (seqs[device] ?? 0) + 1;
      seqs[device] = seq;
      lastMs = Math.max(lastMs, FIRST_READING_MS + seq * 1000);
      readings.push(benchReading(device, seq));
    }
    records.push(telemetryStreamRecord(device, readings));
    made += count;
    if (records.length >= batchRecords) {
      yield { records, arrivedAt: new Date(lastMs + 2_000) };
      records = [];
    }
  }
  if (records.length > 0) yield { records, arrivedAt: new Date(lastMs + 2_000) };
}

/** Bytes under a directory, recursively. */
export async function directoryBytes(dir: string): Promise<number> {
  const { readdir, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}
