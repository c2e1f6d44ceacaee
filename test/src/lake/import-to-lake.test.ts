import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { runImport } from '../../../cloud/src/cli/commands/import.js';
import { importCsv } from '../../../cloud/src/lake/import/index.js';
import { LocalLakeStream, openLocalLake } from '../../../cloud/src/lake/local/index.js';
import { createLakeViews } from '../../../cloud/src/lake/views.js';
import { fixtureStream, IMPORT_NOW, importFixturePath } from './import-fixtures.js';

/** The five good lines of readings-with-bad-lines.csv. */
const GOOD_LINES = 5;

describe('CSV import into the local lake', () => {
  let lakeDir: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeEach(async () => {
    lakeDir = await mkdtemp(join(tmpdir(), 'coffee-iot-import-lake-'));
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  afterEach(async () => {
    connection.closeSync();
    instance.closeSync();
    await rm(lakeDir, { recursive: true, force: true });
  });

  async function rows(sql: string): Promise<Record<string, unknown>[]> {
    await createLakeViews(connection, lakeDir, []);
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  }

  /** One import through the lake's stream port, with the lake opened and closed around it as a run would. */
  async function importOnce(): Promise<void> {
    const lake = await openLocalLake(lakeDir, { now: () => IMPORT_NOW });
    try {
      await importCsv(fixtureStream('readings-with-bad-lines.csv'), new LocalLakeStream(lake), {
        now: () => IMPORT_NOW,
      });
    } finally {
      await lake.close();
    }
  }

  it('keeps one row per good line when the same file is imported twice', async () => {
    await importOnce();
    await importOnce();

    // Each run is a fresh lake process: the second one wrote its readings again, and the table's
    // dedupe on (device_id, seq) keeps one of each.
    expect(await rows('SELECT count(*)::INTEGER AS n FROM telemetry_all')).toEqual([{ n: 2 * GOOD_LINES }]);
    expect(await rows('SELECT count(*)::INTEGER AS n FROM telemetry')).toEqual([{ n: GOOD_LINES }]);
    expect(
      await rows(`SELECT device_id, count(*)::INTEGER AS n, min(temperature) AS min_t, max(temperature) AS max_t,
                  strftime(min(ts), '%Y-%m-%dT%H:%M:%S.%gZ') AS first_ts, count(DISTINCT boot_id)::INTEGER AS boots
                  FROM telemetry GROUP BY device_id ORDER BY device_id`),
    ).toEqual([
      {
        device_id: 'coffee-pi-1',
        n: 3,
        min_t: 24.5,
        max_t: 24.8,
        first_ts: '2026-03-14T08:15:30.250Z',
        boots: 1,
      },
      {
        device_id: 'coffee-pi-2',
        n: 2,
        min_t: 22,
        max_t: 22.1,
        first_ts: '2026-03-14T08:15:35.000Z',
        boots: 1,
      },
    ]);
  });

  it('is what `coffee-iot import --lake DIR` writes, twice over, with the same rows', async () => {
    const io = (): CliIo => ({
      env: {},
      now: () => IMPORT_NOW,
      stdout: { write: () => true },
      stderr: { write: () => true },
    });
    expect(await runImport([importFixturePath('readings-with-bad-lines.csv'), '--lake', lakeDir], io())).toBe(
      1,
    );
    expect(await runImport([importFixturePath('readings-with-bad-lines.csv'), '--lake', lakeDir], io())).toBe(
      1,
    );

    expect(await rows('SELECT count(*)::INTEGER AS n FROM telemetry')).toEqual([{ n: GOOD_LINES }]);
  });

  it('defaults to $COFFEE_IOT_LAKE_DIR', async () => {
    let stdout = '';
    const code = await runImport([importFixturePath('readings-with-bad-lines.csv')], {
      env: { COFFEE_IOT_LAKE_DIR: lakeDir },
      now: () => IMPORT_NOW,
      stdout: {
        write: (text: string) => {
          stdout += text;
        },
      },
      stderr: { write: () => true },
    });
    expect(code).toBe(1);
    expect(stdout).toContain(`into the local lake at ${lakeDir}\n`);
    expect(await rows('SELECT count(*)::INTEGER AS n FROM telemetry')).toEqual([{ n: GOOD_LINES }]);
  });
});
