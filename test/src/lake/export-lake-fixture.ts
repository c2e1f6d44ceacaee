import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  COFFEE_COLUMNS,
  type LakeColumn,
  type LakeTableName,
  TELEMETRY_COLUMNS,
} from '../../../cloud/src/lake/columns.js';
import { localPath, partitionValuesOf } from '../../../cloud/src/lake/layout.js';
import type { CoffeeRow, TelemetryRow } from '../../../cloud/src/lake/rows.js';

/**
 * Writes lake rows as the local lake stores them — hive-partitioned Parquet under
 * curated/{table}/ingest_year=…/…/ingest_hour=HH/ — with DuckDB itself, so the export reads real
 * files in the real layout.
 */
const DUCKDB_TYPES: Record<LakeColumn['type'], string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};

const TABLE_COLUMNS: Record<LakeTableName, readonly LakeColumn[]> = {
  telemetry: TELEMETRY_COLUMNS,
  coffees: COFFEE_COLUMNS,
};

const PARTITIONS = ['ingest_year', 'ingest_month', 'ingest_day', 'ingest_hour'];

function columnsStruct(columns: readonly LakeColumn[]): string {
  const fields = [
    ...columns.map((column) => `${column.name}: '${DUCKDB_TYPES[column.type]}'`),
    ...PARTITIONS.map((name) => `${name}: 'VARCHAR'`),
  ];
  return `{${fields.join(', ')}}`;
}

export async function writeLakeTable(
  connection: DuckDBConnection,
  lakeDir: string,
  table: LakeTableName,
  rows: readonly (TelemetryRow | CoffeeRow)[],
): Promise<void> {
  if (rows.length === 0) return;
  const scratch = join(lakeDir, `.fixture-${table}.jsonl`);
  await writeFile(scratch, rows.map((row) => JSON.stringify(row)).join('\n'));
  const target = localPath(lakeDir, `curated/${table}`);
  await mkdir(target, { recursive: true });
  await connection.run(
    `COPY (SELECT * FROM read_json('${scratch}', format = 'newline_delimited', columns = ${columnsStruct(TABLE_COLUMNS[table])}))
     TO '${target}' (FORMAT parquet, PARTITION_BY (${PARTITIONS.join(', ')}), APPEND true)`,
  );
  await rm(scratch);
}

const NULL_ROW: Omit<
  TelemetryRow,
  keyof ReturnType<typeof partitionValuesOf> | 'device_id' | 'seq' | 'ts' | 'ingest_time'
> = {
  boot_id: 'boot-1',
  temperature: 21.5,
  humidity: 40,
  pressure: 1013.2,
  pitch: 1,
  roll: 2,
  yaw: 3,
  temperature_ambient: null,
  temperature_cpu: null,
  accel_x: null,
  accel_y: null,
  accel_z: null,
  gyro_x: null,
  gyro_y: null,
  gyro_z: null,
  mag_x: null,
  mag_y: null,
  mag_z: null,
};

/** `2026-03-04T10:00:00.000Z` → the lake's `2026-03-04 10:00:00.000`. */
export function lakeTime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

export function reading(deviceId: string, seq: number, ts: string, ingestedAt = ts): TelemetryRow {
  return {
    ...NULL_ROW,
    device_id: deviceId,
    seq,
    ts: lakeTime(ts),
    ingest_time: lakeTime(ingestedAt),
    ...partitionValuesOf(new Date(ingestedAt)),
  };
}

export function coffee(
  deviceId: string,
  eventId: string,
  photoKey: string | null,
  times: { capturedAt: string | null; analyzedAt: string },
): CoffeeRow {
  return {
    device_id: deviceId,
    event_id: eventId,
    // Old data may hold anything here, NULL included, whatever the row type says.
    photo_key: photoKey as string,
    captured_at: times.capturedAt === null ? null : lakeTime(times.capturedAt),
    analyzed_at: lakeTime(times.analyzedAt),
    status: 'analyzed',
    reason: null,
    analyzer: 'rekognition',
    person_present: true,
    face_count: 1,
    smile: true,
    smile_confidence: 97.5,
    eyeglasses: false,
    eyeglasses_confidence: 99,
    sunglasses: false,
    sunglasses_confidence: 99,
    beard: null,
    beard_confidence: null,
    mustache: null,
    mustache_confidence: null,
    eyes_open: true,
    eyes_open_confidence: 98,
    age_low: 30,
    age_high: 38,
    emotion: 'HAPPY',
    emotion_confidence: 95,
    ingest_time: lakeTime(times.analyzedAt),
    ...partitionValuesOf(new Date(times.analyzedAt)),
  };
}
