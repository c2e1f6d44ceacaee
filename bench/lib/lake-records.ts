import type { TelemetryReading } from '@coffee-iot/shared';
import type { IngestRecord } from '../../cloud/src/stream/ingest-stream.js';
import { fullReading, telemetryIngestJson } from '../../cloud/src/testing/ingest-records.js';

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
  return fullReading(seq, FIRST_READING_MS, device);
}

/** One telemetry stream record of device number `device` carrying `readings`. */
export function telemetryStreamRecord(device: number, readings: TelemetryReading[]): IngestRecord {
  const deviceId = deviceName(device);
  return { partitionKey: deviceId, data: encoder.encode(telemetryIngestJson(deviceId, BOOT_ID, readings)) };
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
