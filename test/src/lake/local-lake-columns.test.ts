import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionValuesOf } from '../../../cloud/src/lake/layout.js';
import { writeBatchOutput } from '../../../cloud/src/lake/local/batch-output.js';
import { ParquetWriter } from '../../../cloud/src/lake/local/parquet-writer.js';
import {
  emptyTransformOutput,
  SeenReadings,
  TelemetryColumns,
  transformIngestColumns,
  transformIngestRecords,
} from '../../../cloud/src/lake/transform.js';
import type { IngestInput } from '../../../cloud/src/lake/transform-types.js';
import { coffeeRecord, lakeFiles, reading, telemetryRecord, tempLake } from './local-lake-fixtures.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Stream records as the lake gets them, each arriving at `arrivedAt`. */
function inputs(arrivedAt: string, records: { data: Uint8Array; partitionKey?: string | undefined }[]) {
  return records.map(
    (record, i): IngestInput => ({
      id: `${arrivedAt}:${i + 1}`,
      data: record.data,
      arrivedAt: new Date(arrivedAt),
      partitionKey: record.partitionKey,
    }),
  );
}

/** A record's JSON text edited: forms the fast path leaves to the general one. */
function edited(
  record: { data: Uint8Array; partitionKey?: string | undefined },
  edit: (text: string) => string,
) {
  return { ...record, data: encoder.encode(edit(decoder.decode(record.data))) };
}

const full = (seq: number, temperature: number) => ({
  ...reading(seq, temperature),
  temperatureAmbient: 21.25,
  temperatureCpu: 48.5,
  accelX: 0.01,
  accelY: -0.02,
  accelZ: 0.98,
  gyroX: 1e-7,
  gyroY: -0,
  gyroZ: 3,
  magX: 12.5,
  magY: -7.25,
  magZ: 40,
});

/**
 * Two batches, each with arrivals in two ingest hours: valid telemetry with and without the
 * optional sensors, duplicates within a batch and across them, a record the fast path leaves to
 * the general one (a number written 20.50, whitespace), refused readings (out of range, from the
 * future), refused records (not JSON, another device than the topic's), coffees with a duplicate.
 */
const BATCHES: IngestInput[][] = [
  [
    ...inputs('2026-03-05T10:05:00.000Z', [
      telemetryRecord('coffee-pi-a', [reading(1, 20), full(2, 21.5), reading(3, 19.25)]),
      telemetryRecord('coffee-pi-b', [full(1, 30), full(1, 30)]),
      telemetryRecord('coffee-pi-a', [reading(2, 21.5), reading(4, 23)]),
      edited(telemetryRecord('coffee-pi-c', [reading(1, 20.5), full(2, 18)]), (text) =>
        text.replace('"temperature":20.5', '"temperature" : 20.50'),
      ),
      telemetryRecord('coffee-pi-c', [reading(3, 9999), reading(4, 17)]),
      telemetryRecord('coffee-pi-c', [reading(5, 17, '2026-03-05T10:05:31.000Z'), reading(6, 16)]),
      { data: encoder.encode('{"v":1,"type":"telemetry",'), partitionKey: 'coffee-pi-a' },
      { ...telemetryRecord('coffee-pi-a', [reading(7, 20)]), partitionKey: 'coffee-pi-z' },
      coffeeRecord('coffee-pi-a', 1, true),
      coffeeRecord('coffee-pi-a', 1, true),
    ]),
    ...inputs('2026-03-05T11:00:00.001Z', [
      telemetryRecord('coffee-pi-b', [full(2, 31), reading(3, 29)]),
      coffeeRecord('coffee-pi-b', 2, null),
    ]),
  ],
  [
    ...inputs('2026-03-05T11:59:59.999Z', [
      telemetryRecord('coffee-pi-a', [reading(4, 23), reading(5, 22), reading(6, 22.125)]),
      telemetryRecord('coffee-pi-b', [reading(3, 29), full(4, 28.5)]),
      coffeeRecord('coffee-pi-a', 1, true),
    ]),
    ...inputs('2026-03-05T12:00:00.000Z', [
      telemetryRecord('coffee-pi-d', [reading(1, -2.5, '2026-02-28T23:59:59.999Z'), full(2, 0)]),
      edited(telemetryRecord('coffee-pi-d', [reading(3, 1)]), (text) => ` ${text.replaceAll(',', ', ')} `),
    ]),
  ],
];

async function parquetRows(dir: string, files: readonly string[]): Promise<Record<string, unknown>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const contents: Record<string, unknown> = {};
    for (const file of files.filter((name) => name.endsWith('.parquet'))) {
      const path = join(dir, file).replaceAll("'", "''");
      const schema = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
      const rows = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
      contents[file] = { schema: schema.getRowObjectsJson(), rows: rows.getRowObjectsJson() };
    }
    return contents;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('the local lake writes telemetry from columns exactly as from rows', () => {
  let writer: ParquetWriter;
  const dirs: string[] = [];

  beforeAll(async () => {
    writer = await ParquetWriter.open();
  });
  afterAll(async () => {
    await writer.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  async function lakeDir(): Promise<string> {
    const { dir } = await tempLake();
    dirs.push(dir);
    return dir;
  }

  it('gives the same Parquet files, contents, refusals and counts on the same batches', async () => {
    const rowsDir = await lakeDir();
    const columnsDir = await lakeDir();
    const rowsSeen = { seenReadings: new SeenReadings(), seenCoffees: new Set<string>() };
    const columnsSeen = { seenReadings: new SeenReadings(), seenCoffees: new Set<string>() };
    const reports: unknown[][] = [[], []];
    // One set of columns for every batch, cleared in between, as the lake keeps them.
    const reused = new TelemetryColumns();
    for (const [b, batch] of BATCHES.entries()) {
      const arrivedAt = (batch[0] as IngestInput).arrivedAt;
      const byRows = transformIngestRecords(batch, rowsSeen);
      reused.clear();
      const byColumns = transformIngestColumns(batch, columnsSeen, {
        ...emptyTransformOutput(),
        telemetry: reused,
      });
      const { telemetry: rows, ...rowCounts } = byRows;
      const { telemetry: columns, ...columnCounts } = byColumns;
      expect(columnCounts).toEqual(rowCounts);
      expect(columns.rows).toBe(rows.length);
      const stem = `batch-${b}`;
      const partition = partitionValuesOf(arrivedAt);
      reports[0]?.push(await writeBatchOutput({ root: rowsDir, writer }, stem, byRows, arrivedAt, partition));
      reports[1]?.push(
        await writeBatchOutput({ root: columnsDir, writer }, stem, byColumns, arrivedAt, partition),
      );
    }
    expect(reports[1]).toEqual(reports[0]);

    const files = await lakeFiles(rowsDir);
    expect(await lakeFiles(columnsDir)).toEqual(files);
    // The batches do what they set out to: rows in several partitions, refusals, duplicates, NULLs.
    expect(files.filter((file) => file.startsWith('curated/telemetry/')).length).toBe(4);
    expect(files.some((file) => file.startsWith('errors/'))).toBe(true);
    const [first, second] = reports[0] as { rows: number }[][];
    expect([...(first ?? []), ...(second ?? [])].reduce((sum, file) => sum + file.rows, 0)).toBeGreaterThan(
      20,
    );

    const contents = await parquetRows(rowsDir, files);
    expect(await parquetRows(columnsDir, files)).toEqual(contents);
    const telemetry = Object.entries(contents)
      .filter(([file]) => file.startsWith('curated/telemetry/'))
      .flatMap(([, content]) => (content as { rows: Record<string, unknown>[] }).rows);
    expect(telemetry.some((row) => row.accel_x === null)).toBe(true);
    expect(telemetry.some((row) => row.gyro_x === 1e-7)).toBe(true);
    expect(telemetry.some((row) => row.device_id === 'coffee-pi-c' && row.temperature === 20.5)).toBe(true);
  });
});
