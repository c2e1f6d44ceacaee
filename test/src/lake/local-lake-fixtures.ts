import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import {
  type CoffeeRecord,
  type TelemetryReading,
  telemetryIngestRecord,
  UNKNOWN_FACE_ATTRIBUTES,
} from '@coffee-iot/shared';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Device } from '../../../cloud/src/db/device-repository.js';
import { createLakeViews } from '../../../cloud/src/lake/views.js';
import type { IngestRecord } from '../../../cloud/src/stream/ingest-stream.js';

/**
 * Known data for the local lake tests: three devices, readings over several ingest hours with
 * temperatures chosen so min/max/count per device are easy to state.
 */
export const BOOT = '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
const encoder = new TextEncoder();

/** A reading with every required field; `temperature` is what the tests check. */
export function reading(seq: number, temperature: number, ts?: string): TelemetryReading {
  return {
    seq,
    ts: ts ?? new Date(Date.UTC(2026, 2, 5, 9, 0, 0) + seq * 1000).toISOString(),
    temperature,
    humidity: 41.5,
    pressure: 1012.25,
    pitch: 1.5,
    roll: 358.75,
    yaw: 92.5,
  };
}

/** The stream record the IoT rule makes of a telemetry envelope. */
export function telemetryRecord(deviceId: string, readings: TelemetryReading[]): IngestRecord {
  return {
    partitionKey: deviceId,
    data: encoder.encode(
      JSON.stringify(telemetryIngestRecord({ v: 1, deviceId, bootId: BOOT, readings }, deviceId)),
    ),
  };
}

export function coffeeRecord(deviceId: string, n: number, smile: boolean | null): IngestRecord {
  const eventId = `5f0c6f52-3a4d-4b8e-9c1d-2e3f4a5b6c${String(n).padStart(2, '0')}`;
  const record: CoffeeRecord = {
    ...UNKNOWN_FACE_ATTRIBUTES,
    v: 1,
    type: 'coffee',
    deviceId,
    eventId,
    photoKey: `photos/${deviceId}/2026/03/05/${eventId}.jpg`,
    capturedAt: '2026-03-05T10:00:01.250Z',
    analyzedAt: '2026-03-05T10:00:03.000Z',
    status: 'analyzed',
    reason: null,
    analyzer: 'rekognition',
    personPresent: true,
    faceCount: 1,
    smile,
    smileConfidence: smile === null ? null : 97.5,
  };
  return { partitionKey: deviceId, data: encoder.encode(JSON.stringify(record)) };
}

export function textRecord(text: string): IngestRecord {
  return { partitionKey: 'coffee-pi-x', data: encoder.encode(text) };
}

export const at = (iso: string) => new Date(iso);

/** One ingest batch: what arrives, and when. */
export interface KnownBatch {
  arrivedAt: Date;
  records: IngestRecord[];
}

/**
 * Four batches in three ingest hours (10, 11, 12 on 2026-03-05):
 *   coffee-pi-a  seq 1-4  temperatures 20, 21.5, 19.25, 23   (hour 10 and 11)
 *   coffee-pi-b  seq 1-3  temperatures 30, 28, 31.75         (hours 10 and 12)
 *   coffee-pi-c  seq 1    temperature  -2.5                   (hour 12)
 * plus two coffees (one smiling) in hour 11.
 */
export const KNOWN_BATCHES: readonly KnownBatch[] = [
  {
    arrivedAt: at('2026-03-05T10:05:00.000Z'),
    records: [
      telemetryRecord('coffee-pi-a', [reading(1, 20), reading(2, 21.5)]),
      telemetryRecord('coffee-pi-b', [reading(1, 30)]),
    ],
  },
  {
    arrivedAt: at('2026-03-05T11:20:00.000Z'),
    records: [
      telemetryRecord('coffee-pi-a', [reading(3, 19.25), reading(4, 23)]),
      coffeeRecord('coffee-pi-a', 1, true),
      coffeeRecord('coffee-pi-b', 2, false),
    ],
  },
  {
    arrivedAt: at('2026-03-05T12:01:00.000Z'),
    records: [telemetryRecord('coffee-pi-b', [reading(2, 28), reading(3, 31.75)])],
  },
  {
    arrivedAt: at('2026-03-05T12:59:59.999Z'),
    records: [telemetryRecord('coffee-pi-c', [reading(1, -2.5)])],
  },
];

/** min, max, count of temperature per device: what the queries must give back. */
export const KNOWN_STATS = [
  { device_id: 'coffee-pi-a', min: 19.25, max: 23, count: 4 },
  { device_id: 'coffee-pi-b', min: 28, max: 31.75, count: 3 },
  { device_id: 'coffee-pi-c', min: -2.5, max: -2.5, count: 1 },
];

export const KNOWN_DEVICES: Device[] = [
  {
    thingName: 'coffee-pi-a',
    owner: 'Ada',
    location: 'Kitchen',
    model: 'Rancilio Silvia',
    firstSeenAt: '2026-03-01T08:00:00.000Z',
    lastSeenAt: '2026-03-05T11:20:00.000Z',
    updatedAt: '2026-03-05T11:20:00.000Z',
  },
];

export async function tempLake(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-lake-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under `dir`, as lake keys (forward slashes), sorted. */
export async function lakeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Runs `sql` against fresh views over the lake; rows as plain JS (DuckDB's JSON-friendly values). */
export async function queryLake(
  lakeDir: string,
  sql: string,
  devices: readonly Device[] = [],
): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await createLakeViews(connection, lakeDir, devices);
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
