import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COFFEE_COLUMNS, TELEMETRY_COLUMNS } from '../../../cloud/src/lake/columns.js';
import {
  CuratedWriteError,
  type LocalLake,
  LocalLakeStream,
  openLocalLake,
  parseErrorLines,
  readRawArchive,
} from '../../../cloud/src/lake/local/index.js';
import { StreamUnavailableError } from '../../../cloud/src/stream/ingest-stream.js';
import {
  at,
  BOOT,
  coffeeRecord,
  KNOWN_BATCHES,
  KNOWN_DEVICES,
  KNOWN_STATS,
  lakeFiles,
  queryLake,
  reading,
  telemetryRecord,
  tempLake,
  textRecord,
} from './local-lake-fixtures.js';

const STATS_SQL = `SELECT device_id, min(temperature) AS min, max(temperature) AS max, count(*) AS count
FROM telemetry GROUP BY device_id ORDER BY device_id`;

const SQL_TYPES = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
};
const PARTITIONS = ['ingest_year', 'ingest_month', 'ingest_day', 'ingest_hour'].map((name) => [
  name,
  'VARCHAR',
]);

/** DuckDB's JSON-friendly rows give BIGINT counts as strings. */
const numeric = (rows: Record<string, unknown>[]) =>
  rows.map((row) => ({ ...row, count: Number(row.count) }));

describe('LocalLake', () => {
  let lakeDir: string;
  let remove: () => Promise<void>;
  let lake: LocalLake | undefined;

  beforeEach(async () => {
    ({ dir: lakeDir, remove } = await tempLake());
  });

  afterEach(async () => {
    await lake?.close();
    lake = undefined;
    await remove();
  });

  async function ingestKnown(target: LocalLake) {
    const reports = [];
    for (const batch of KNOWN_BATCHES) reports.push(await target.ingest(batch.records, batch.arrivedAt));
    return reports;
  }

  it('writes raw, curated and nothing else, partitioned by ingest hour, with no temporary files left', async () => {
    lake = await openLocalLake(lakeDir);
    const reports = await ingestKnown(lake);

    expect(reports.map((r) => [r.records, r.telemetryRows, r.coffeeRows, r.rejected])).toEqual([
      [2, 3, 0, 0],
      [3, 2, 2, 0],
      [1, 2, 0, 0],
      [1, 1, 0, 0],
    ]);
    const files = await lakeFiles(lakeDir);
    const stems = reports.map((r) => (r.rawFiles[0] as string).replace(/^.*\/|\.json\.gz$/g, ''));
    const hour = (h: string) => `ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=${h}`;
    expect(files).toEqual(
      [
        `raw/${hour('10')}/${stems[0]}.json.gz`,
        `raw/${hour('11')}/${stems[1]}.json.gz`,
        `raw/${hour('12')}/${stems[2]}.json.gz`,
        `raw/${hour('12')}/${stems[3]}.json.gz`,
        `curated/telemetry/${hour('10')}/${stems[0]}.parquet`,
        `curated/telemetry/${hour('11')}/${stems[1]}.parquet`,
        `curated/telemetry/${hour('12')}/${stems[2]}.parquet`,
        `curated/telemetry/${hour('12')}/${stems[3]}.parquet`,
        `curated/coffees/${hour('11')}/${stems[1]}.parquet`,
      ].sort(),
    );
    expect(stems[0]).toMatch(/^1772705100000-[0-9a-f-]{36}$/);
  });

  it('answers min, max and count per device through the views as ingested', async () => {
    lake = await openLocalLake(lakeDir);
    await ingestKnown(lake);

    expect(numeric(await queryLake(lakeDir, STATS_SQL))).toEqual(KNOWN_STATS);
    expect(
      await queryLake(
        lakeDir,
        `SELECT device_id, seq, CAST(ts AS VARCHAR) AS ts, CAST(ingest_time AS VARCHAR) AS ingest_time, ingest_hour
         FROM telemetry WHERE device_id = 'coffee-pi-a' ORDER BY seq`,
      ),
    ).toEqual([
      {
        device_id: 'coffee-pi-a',
        seq: '1',
        ts: '2026-03-05 09:00:01',
        ingest_time: '2026-03-05 10:05:00',
        ingest_hour: '10',
      },
      {
        device_id: 'coffee-pi-a',
        seq: '2',
        ts: '2026-03-05 09:00:02',
        ingest_time: '2026-03-05 10:05:00',
        ingest_hour: '10',
      },
      {
        device_id: 'coffee-pi-a',
        seq: '3',
        ts: '2026-03-05 09:00:03',
        ingest_time: '2026-03-05 11:20:00',
        ingest_hour: '11',
      },
      {
        device_id: 'coffee-pi-a',
        seq: '4',
        ts: '2026-03-05 09:00:04',
        ingest_time: '2026-03-05 11:20:00',
        ingest_hour: '11',
      },
    ]);
    expect(
      await queryLake(
        lakeDir,
        `SELECT c.device_id, c.smile, d.owner FROM coffees c LEFT JOIN devices d ON d.thing_name = c.device_id ORDER BY c.device_id`,
        KNOWN_DEVICES,
      ),
    ).toEqual([
      { device_id: 'coffee-pi-a', smile: true, owner: 'Ada' },
      { device_id: 'coffee-pi-b', smile: false, owner: null },
    ]);
  });

  it('keeps millisecond timestamps, written as Parquet TIMESTAMP_MILLIS', async () => {
    lake = await openLocalLake(lakeDir);
    const report = await lake.ingest(
      [telemetryRecord('coffee-pi-a', [reading(7, 20, '2026-03-05T09:59:59.123Z')])],
      at('2026-03-05T10:00:00.456Z'),
    );
    const file = join(lakeDir, (report.files[0] as { key: string }).key);
    expect(
      await queryLake(
        lakeDir,
        'SELECT CAST(ts AS VARCHAR) AS ts, CAST(ingest_time AS VARCHAR) AS i FROM telemetry',
      ),
    ).toEqual([{ ts: '2026-03-05 09:59:59.123', i: '2026-03-05 10:00:00.456' }]);
    const schema = await queryLake(
      lakeDir,
      `SELECT name, converted_type FROM parquet_schema('${file}') WHERE name IN ('ts', 'ingest_time', 'seq') ORDER BY name`,
    );
    expect(schema).toEqual([
      { name: 'ingest_time', converted_type: 'TIMESTAMP_MILLIS' },
      { name: 'seq', converted_type: 'INT_64' },
      { name: 'ts', converted_type: 'TIMESTAMP_MILLIS' },
    ]);
  });

  it('counts a reading sent twice once: dropped on write while remembered, deduplicated on read after a restart', async () => {
    lake = await openLocalLake(lakeDir);
    await lake.ingest(
      [telemetryRecord('coffee-pi-a', [reading(1, 20), reading(2, 21)])],
      at('2026-03-05T10:00:00Z'),
    );
    const again = await lake.ingest(
      [telemetryRecord('coffee-pi-a', [reading(2, 99), reading(3, 22)])],
      at('2026-03-05T10:01:00Z'),
    );
    expect(again).toMatchObject({ telemetryRows: 1, duplicateReadings: 1 });
    await lake.close();

    // A fresh process remembers nothing: the resent reading is stored again, in another hour.
    lake = await openLocalLake(lakeDir);
    const afterRestart = await lake.ingest(
      [telemetryRecord('coffee-pi-a', [reading(2, 77), reading(3, 88)])],
      at('2026-03-05T11:30:00Z'),
    );
    expect(afterRestart).toMatchObject({ telemetryRows: 2, duplicateReadings: 0 });

    expect(await queryLake(lakeDir, 'SELECT count(*) AS n FROM telemetry_all')).toEqual([{ n: '5' }]);
    expect(
      await queryLake(
        lakeDir,
        `SELECT seq, temperature, CAST(ingest_time AS VARCHAR) AS first FROM telemetry ORDER BY seq`,
      ),
    ).toEqual([
      { seq: '1', temperature: 20, first: '2026-03-05 10:00:00' },
      { seq: '2', temperature: 21, first: '2026-03-05 10:00:00' },
      { seq: '3', temperature: 22, first: '2026-03-05 10:01:00' },
    ]);
    expect(numeric(await queryLake(lakeDir, STATS_SQL))).toEqual([
      { device_id: 'coffee-pi-a', min: 20, max: 22, count: 3 },
    ]);
  });

  it('counts a coffee sent twice once', async () => {
    lake = await openLocalLake(lakeDir, { rememberedKeys: 0 }); // remembers nothing: the views must dedupe
    await lake.ingest([coffeeRecord('coffee-pi-a', 1, true)], at('2026-03-05T10:00:00Z'));
    await lake.ingest([coffeeRecord('coffee-pi-a', 1, true)], at('2026-03-05T12:00:00Z'));
    expect(
      await queryLake(
        lakeDir,
        'SELECT (SELECT count(*) FROM coffees_all) AS stored, count(*) AS counted, CAST(min(ingest_time) AS VARCHAR) AS kept FROM coffees',
      ),
    ).toEqual([{ stored: '2', counted: '1', kept: '2026-03-05 10:00:00' }]);
  });

  it('reads only the files that can hold a duplicate through the dedupe', async () => {
    lake = await openLocalLake(lakeDir, { rememberedKeys: 0 }); // every resent reading is written again
    const range = (from: number, to: number, t = 10) =>
      Array.from({ length: to - from + 1 }, (_, i) => reading(from + i, t + from + i));
    const batches = [
      [telemetryRecord('coffee-pi-a', range(1, 10)), telemetryRecord('coffee-pi-b', range(1, 10))],
      [telemetryRecord('coffee-pi-a', range(11, 20))],
      [telemetryRecord('coffee-pi-a', range(5, 5, 50)), telemetryRecord('coffee-pi-b', range(11, 12))], // a 5 again
      [telemetryRecord('coffee-pi-a', range(20, 21, 50))], // a 20 again
      [telemetryRecord('coffee-pi-b', range(13, 20))],
      [telemetryRecord('coffee-pi-c', range(1, 5))],
    ];
    for (const [i, records] of batches.entries()) {
      await lake.ingest(records, at(`2026-03-05T1${i}:00:00Z`));
    }
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const { createLakeViews } = await import('../../../cloud/src/lake/views.js');
      expect(await createLakeViews(connection, lakeDir, KNOWN_DEVICES)).toEqual({
        telemetryFiles: 6,
        coffeeFiles: 0,
        telemetryFilesDeduplicated: 4,
        devices: 1,
      });
      const rows = await connection.runAndReadAll(
        'SELECT device_id, count(*), count(DISTINCT seq), max(temperature) FROM telemetry GROUP BY ALL ORDER BY ALL',
      );
      expect(rows.getRows()).toEqual([
        ['coffee-pi-a', 21n, 21n, 71],
        ['coffee-pi-b', 20n, 20n, 30],
        ['coffee-pi-c', 5n, 5n, 15],
      ]);
      // The first arrivals of a5 and a20 are kept, not the resent copies (temperature + 50).
      const kept = await connection.runAndReadAll(
        "SELECT seq, temperature FROM telemetry WHERE device_id = 'coffee-pi-a' AND seq IN (5, 20) ORDER BY seq",
      );
      expect(kept.getRows()).toEqual([
        [5n, 15],
        [20n, 30],
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('deduplicates against files it did not write', async () => {
    lake = await openLocalLake(lakeDir);
    const report = await lake.ingest(
      [
        telemetryRecord('coffee-pi-a', [reading(3, 20), reading(4, 21)]),
        telemetryRecord('coffee-pi-b', [reading(9, 30)]),
      ],
      at('2026-03-05T10:00:00Z'),
    );
    const written = join(lakeDir, (report.files[0] as { key: string }).key);

    // A file from elsewhere (DuckDB, Firehose…) holding reading a4 again, arrived later.
    const foreign = join(
      lakeDir,
      'curated',
      'telemetry',
      'ingest_year=2026',
      'ingest_month=03',
      'ingest_day=05',
      'ingest_hour=11',
    );
    await mkdir(foreign, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(
        `COPY (SELECT * EXCLUDE (ingest_year, ingest_month, ingest_day, ingest_hour, ingest_time, temperature),
                 CAST(99 AS DOUBLE) AS temperature, TIMESTAMP '2026-03-05 11:00:00' AS ingest_time
               FROM read_parquet('${written}', hive_partitioning = true) WHERE seq = 4)
         TO '${join(foreign, 'foreign.parquet')}' (FORMAT parquet)`,
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    expect(
      await queryLake(
        lakeDir,
        "SELECT count(*) AS n, max(temperature) AS max FROM telemetry WHERE device_id = 'coffee-pi-a'",
      ),
    ).toEqual([{ n: '2', max: 21 }]);
  });

  it('puts refused records in errors/ with their reason and raw location, and keeps the good ones', async () => {
    lake = await openLocalLake(lakeDir);
    const report = await lake.ingest(
      [
        telemetryRecord('coffee-pi-a', [reading(1, 20)]),
        textRecord('{"type":"telemetry","v":1,"deviceId":"coffee-pi-b"'),
        telemetryRecord('coffee-pi-a', [{ ...reading(2, 21), humidity: 140 }]),
        telemetryRecord('coffee-pi-a', [reading(3, 22)]),
      ],
      at('2026-03-05T10:30:00Z'),
    );
    expect(report).toMatchObject({ records: 4, telemetryRows: 2, rejected: 2 });
    const rawKey = report.rawFiles[0] as string;
    const errorsFile = report.files.find((file) => file.table === 'errors');
    expect(errorsFile).toMatchObject({
      key: rawKey.replace(/^raw\//, 'errors/').replace(/\.json\.gz$/, '.json'),
      rows: 2,
    });
    const lines = parseErrorLines(await readFile(join(lakeDir, errorsFile?.key as string), 'utf8'));
    expect(lines).toEqual([
      {
        id: `${rawKey}:2`,
        arrivedAt: '2026-03-05T10:30:00.000Z',
        reason: expect.stringContaining('not JSON'),
        data: '{"type":"telemetry","v":1,"deviceId":"coffee-pi-b"',
      },
      {
        // One refused reading of an envelope: named by its place, with its device, boot and seq.
        id: `${rawKey}:3#/readings/0`,
        arrivedAt: '2026-03-05T10:30:00.000Z',
        reason: expect.stringContaining('/readings/0/humidity'),
        data: expect.stringContaining('"humidity":140'),
        deviceId: 'coffee-pi-a',
        bootId: BOOT,
        seq: 2,
      },
    ]);
    expect(await queryLake(lakeDir, 'SELECT list(seq ORDER BY seq) AS seqs FROM telemetry')).toEqual([
      { seqs: ['1', '3'] },
    ]);
  });

  it('has typed, empty tables before anything is written', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const { createLakeViews } = await import('../../../cloud/src/lake/views.js');
      await createLakeViews(connection, join(lakeDir, 'not-yet'), []);
      for (const [table, columns] of [
        ['telemetry', TELEMETRY_COLUMNS],
        ['coffees', COFFEE_COLUMNS],
      ] as const) {
        const described = (await connection.runAndReadAll(`DESCRIBE ${table}`)).getRows();
        expect(described.map((row) => [row[0], row[1]])).toEqual([
          ...columns.map((column) => [column.name, SQL_TYPES[column.type]]),
          ...PARTITIONS,
        ]);
        expect((await connection.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()).toEqual([[0n]]);
      }
      const devices = (await connection.runAndReadAll('DESCRIBE devices')).getRows();
      expect(devices.map((row) => [row[0], row[1]])).toEqual([
        ['thing_name', 'VARCHAR'],
        ['owner', 'VARCHAR'],
        ['location', 'VARCHAR'],
        ['model', 'VARCHAR'],
        ['first_seen_at', 'TIMESTAMP'],
        ['last_seen_at', 'TIMESTAMP'],
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('has the same column types once files exist', async () => {
    lake = await openLocalLake(lakeDir);
    await ingestKnown(lake);
    const described = await queryLake(lakeDir, 'SELECT column_name, column_type FROM (DESCRIBE telemetry)');
    expect(described.map((row) => [row.column_name, row.column_type])).toEqual([
      ...TELEMETRY_COLUMNS.map((column) => [column.name, SQL_TYPES[column.type]]),
      ...PARTITIONS,
    ]);
  });

  it('archives each batch as it arrived, one record per line, for replay', async () => {
    lake = await openLocalLake(lakeDir);
    await ingestKnown(lake);
    const pretty = JSON.stringify(
      JSON.parse(new TextDecoder().decode(telemetryRecord('coffee-pi-d', [reading(1, 5)]).data)),
      null,
      2,
    );
    await lake.ingest([textRecord(pretty), textRecord('')], at('2026-03-05T13:00:00Z'));

    const archived = [];
    for await (const input of readRawArchive(lakeDir, {
      from: at('2026-03-05T11:00:00Z'),
      to: at('2026-03-05T14:00:00Z'),
    })) {
      archived.push({
        id: input.id,
        at: input.arrivedAt.toISOString(),
        text: new TextDecoder().decode(input.data),
      });
    }
    expect(archived.map((a) => a.at)).toEqual([
      '2026-03-05T11:20:00.000Z',
      '2026-03-05T11:20:00.000Z',
      '2026-03-05T11:20:00.000Z',
      '2026-03-05T12:01:00.000Z',
      '2026-03-05T12:59:59.999Z',
      '2026-03-05T13:00:00.000Z',
      '2026-03-05T13:00:00.000Z',
    ]);
    expect(archived[0]?.text).toBe(new TextDecoder().decode(KNOWN_BATCHES[1]?.records[0]?.data));
    expect(archived[0]?.id).toMatch(
      /^raw\/ingest_year=2026\/ingest_month=03\/ingest_day=05\/ingest_hour=11\/\d+-[0-9a-f-]{36}\.json\.gz:1$/,
    );
    // The pretty-printed record is on one line, the same JSON; the empty one is kept, empty.
    expect(archived[5]?.text).not.toContain('\n');
    expect(JSON.parse(archived[5]?.text as string)).toEqual(JSON.parse(pretty));
    expect(archived[6]?.text).toBe('');
  });

  it('tells a failed curated write apart from a failed archive, and a retried batch is not lost as a duplicate', async () => {
    lake = await openLocalLake(lakeDir);
    const batch = [telemetryRecord('coffee-pi-a', [reading(1, 20)])];
    // A file where the telemetry directory should be: the curated write fails, the raw one does not.
    await mkdir(join(lakeDir, 'curated'), { recursive: true });
    await writeFile(join(lakeDir, 'curated', 'telemetry'), 'in the way');
    const failure = await lake.ingest(batch, at('2026-03-05T10:00:00Z')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CuratedWriteError);
    expect((failure as CuratedWriteError).message).toMatch(
      /archived in raw\/ingest_year=2026\/.*replay its ingest hour/,
    );
    expect((await lakeFiles(lakeDir)).filter((key) => key.startsWith('raw/'))).toHaveLength(1);

    await rm(join(lakeDir, 'curated', 'telemetry'));
    const retried = await lake.ingest(batch, at('2026-03-05T10:00:01Z'));
    expect(retried).toMatchObject({ telemetryRows: 1, duplicateReadings: 0 });
    expect(numeric(await queryLake(lakeDir, STATS_SQL))).toEqual([
      { device_id: 'coffee-pi-a', min: 20, max: 20, count: 1 },
    ]);
  });
});

describe('LocalLakeStream', () => {
  let lakeDir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: lakeDir, remove } = await tempLake());
  });

  afterEach(async () => {
    await remove();
  });

  it('ingests put records at the lake clock, as the stream received them', async () => {
    const lake = await openLocalLake(lakeDir, { now: () => at('2026-03-05T17:45:00.000Z') });
    const reports: unknown[] = [];
    const stream = new LocalLakeStream(lake, { onIngested: (report) => reports.push(report) });
    try {
      await stream.putRecords([telemetryRecord('coffee-pi-a', [reading(1, 20)])]);
      await stream.putRecords([]);
    } finally {
      await lake.close();
    }
    expect(reports).toEqual([expect.objectContaining({ records: 1, telemetryRows: 1 })]);
    expect(
      await queryLake(lakeDir, 'SELECT CAST(ingest_time AS VARCHAR) AS t, ingest_hour FROM telemetry'),
    ).toEqual([{ t: '2026-03-05 17:45:00', ingest_hour: '17' }]);
  });

  it('reports a lake that cannot archive as an unavailable stream, every record not accepted', async () => {
    const lake = await openLocalLake(lakeDir);
    await writeFile(join(lakeDir, 'raw'), 'not a directory');
    const stream = new LocalLakeStream(lake);
    try {
      const error = await stream
        .putRecords([
          telemetryRecord('coffee-pi-a', [reading(1, 20)]),
          telemetryRecord('coffee-pi-b', [reading(1, 20)]),
        ])
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StreamUnavailableError);
      expect(error).toMatchObject({ notAccepted: [0, 1], errorCodes: { RawArchiveWriteError: 2 } });
    } finally {
      await lake.close();
    }
    expect((await lakeFiles(lakeDir)).filter((key) => key !== 'raw')).toEqual([]);
  });
});
