import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CompactionStep,
  LakeCompactor,
  openLocalLake,
  recoverInterruptedCompactions,
  replayFromRaw,
  replayWindow,
} from '../../../cloud/src/lake/local/index.js';
import { createLakeViews } from '../../../cloud/src/lake/views.js';
import { coffeeRecord, queryLake, reading, telemetryRecord, tempLake } from './local-lake-fixtures.js';

const PARTITION = 'ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=10';
const WRITES = 8;
/** Each write: 3 readings of each of 2 devices; every other write a coffee. */
const READINGS = WRITES * 6;
const COFFEES = WRITES / 2;
const COUNTS = `SELECT (SELECT count(*) FROM telemetry)::INTEGER AS telemetry,
  (SELECT count(*) FROM telemetry_all)::INTEGER AS stored,
  (SELECT count(*) FROM coffees)::INTEGER AS coffees,
  (SELECT count(*) FROM coffees_all)::INTEGER AS storedCoffees`;
const EXACTLY_ONCE = [{ telemetry: READINGS, stored: READINGS, coffees: COFFEES, storedCoffees: COFFEES }];
const ALL_ROWS = 'SELECT * FROM telemetry_all ORDER BY device_id, seq';

/** Writes WRITES small batches into hour 10, one file per table per write, as the live writer does. */
async function writeSmallFiles(lakeDir: string): Promise<void> {
  const lake = await openLocalLake(lakeDir);
  try {
    for (let w = 0; w < WRITES; w += 1) {
      const seqs = [1, 2, 3].map((i) => w * 3 + i);
      const records = [
        telemetryRecord(
          'coffee-pi-1',
          seqs.map((seq) => reading(seq, 20 + seq / 10)),
        ),
        telemetryRecord(
          'coffee-pi-2',
          seqs.map((seq) => reading(seq, 30 + seq / 10)),
        ),
      ];
      if (w % 2 === 0) records.push(coffeeRecord('coffee-pi-1', w, w % 4 === 0));
      await lake.ingest(records, new Date(Date.UTC(2026, 2, 5, 10, 0, 2 + 2 * w)));
    }
  } finally {
    await lake.close();
  }
}

async function partitionFiles(lakeDir: string, table = 'telemetry'): Promise<string[]> {
  return (await readdir(join(lakeDir, 'curated', table, ...PARTITION.split('/')))).sort();
}

const parquet = (names: string[]) => names.filter((name) => name.endsWith('.parquet'));

/** A step hook that stops the merge at `step` for good (a kill) or until released. */
function stopAt(target: CompactionStep) {
  let reached!: () => void;
  let release!: () => void;
  const atStep = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    atStep,
    release,
    hook: (step: CompactionStep) => {
      if (step !== target) return;
      reached();
      return released;
    },
  };
}

describe('LakeCompactor', () => {
  let lakeDir: string;
  let remove: () => Promise<void>;
  let before: Record<string, unknown>[];
  const compactors: LakeCompactor[] = [];
  let now = new Date('2026-03-05T10:01:00.000Z');

  const compactor = (options: ConstructorParameters<typeof LakeCompactor>[1] = {}) => {
    const made = new LakeCompactor(lakeDir, { now: () => now, ...options });
    compactors.push(made);
    return made;
  };

  beforeEach(async () => {
    ({ dir: lakeDir, remove } = await tempLake());
    now = new Date('2026-03-05T10:01:00.000Z');
    await writeSmallFiles(lakeDir);
    before = await queryLake(lakeDir, ALL_ROWS);
  });

  afterEach(async () => {
    for (const made of compactors.splice(0)) made.close();
    await remove();
  });

  it('merges a full tier into one file holding exactly its rows, with the lake column types, and retires the inputs after the grace', async () => {
    expect(parquet(await partitionFiles(lakeDir))).toHaveLength(WRITES);
    const lakeCompactor = compactor({ retireAfterMs: 10_000 });

    const done = await lakeCompactor.compact('telemetry', PARTITION);

    expect(done).toMatchObject({ merges: 1, filesMerged: WRITES, rowsMerged: READINGS, filesRetired: 0 });
    // In the grace the inputs are still there; the views read each reading once all the same.
    expect(parquet(await partitionFiles(lakeDir))).toHaveLength(WRITES + 1);
    expect(await queryLake(lakeDir, 'SELECT count(*)::INTEGER AS n FROM telemetry')).toEqual([
      { n: READINGS },
    ]);

    now = new Date(now.getTime() + 10_000);
    expect(await lakeCompactor.retireDue()).toBe(WRITES);
    const left = await partitionFiles(lakeDir);
    expect(left).toEqual([expect.stringMatching(/^\d+-[0-9a-f-]+\.c1-[0-9a-f]{8}\.parquet$/)]);
    expect(await queryLake(lakeDir, ALL_ROWS)).toEqual(before);
    expect(await queryLake(lakeDir, COUNTS)).toEqual(EXACTLY_ONCE);

    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const types = await connection.runAndReadAll(
      `SELECT name, converted_type FROM parquet_schema('${join(lakeDir, 'curated', 'telemetry', ...PARTITION.split('/'), left[0] as string)}') WHERE name IN ('ts', 'ingest_time') ORDER BY name`,
    );
    connection.closeSync();
    instance.closeSync();
    expect(types.getRows()).toEqual([
      ['ingest_time', 'TIMESTAMP_MILLIS'],
      ['ts', 'TIMESTAMP_MILLIS'],
    ]);
  });

  it('never merges a file again while the merge that took it awaits retirement', async () => {
    const lakeCompactor = compactor({ fanout: 2, retireAfterMs: 10_000 });
    // 8 tier-0 files ≥ 2: one tier-1 file; its inputs (and itself) are out of play until retired.
    expect(await lakeCompactor.compact('telemetry', PARTITION)).toMatchObject({ merges: 1, filesMerged: 8 });
    expect(await lakeCompactor.compact('telemetry', PARTITION)).toMatchObject({ merges: 0, filesRetired: 0 });
    expect(await queryLake(lakeDir, COUNTS)).toEqual([{ ...EXACTLY_ONCE[0], stored: 2 * READINGS }]);

    now = new Date(now.getTime() + 10_000);
    expect(await lakeCompactor.compact('telemetry', PARTITION)).toMatchObject({ merges: 0, filesRetired: 8 });
    expect(parquet(await partitionFiles(lakeDir))).toHaveLength(1);
    expect(await queryLake(lakeDir, COUNTS)).toEqual(EXACTLY_ONCE);
  });

  it('compacts the coffees table the same way', async () => {
    const lakeCompactor = compactor({ fanout: 2, retireAfterMs: 0 });
    await lakeCompactor.compact('coffees', PARTITION);
    await lakeCompactor.retireDue();
    expect(parquet(await partitionFiles(lakeDir, 'coffees'))).toHaveLength(1);
    expect(await queryLake(lakeDir, COUNTS)).toEqual(EXACTLY_ONCE);
  });

  describe.each<CompactionStep>(['journaled', 'merged', 'published', 'input-removed'])(
    'killed after the step "%s"',
    (step) => {
      it('leaves every reading stored exactly once after recovery, and compacts again', async () => {
        const kill = stopAt(step);
        const lakeCompactor = compactor({ retireAfterMs: 0, afterStep: kill.hook });
        // The kill: the merge stops at the step and never goes on (nothing after it runs, no cleanup).
        void lakeCompactor.compact('telemetry', PARTITION).then(() => lakeCompactor.retireDue(true));
        await kill.atStep;

        const recovered = await recoverInterruptedCompactions(lakeDir);

        expect(recovered).toEqual([
          {
            journal: expect.stringContaining('.compaction-'),
            outcome: step === 'journaled' || step === 'merged' ? 'abandoned' : 'replaced',
          },
        ]);
        const files = await partitionFiles(lakeDir);
        expect(files.filter((name) => name.startsWith('.'))).toEqual([]);
        expect(parquet(files)).toHaveLength(step === 'journaled' || step === 'merged' ? WRITES : 1);
        expect(await queryLake(lakeDir, ALL_ROWS)).toEqual(before);
        expect(await queryLake(lakeDir, COUNTS)).toEqual(EXACTLY_ONCE);

        const again = compactor({ retireAfterMs: 0 });
        await again.compact('telemetry', PARTITION);
        await again.retireDue(true);
        expect(parquet(await partitionFiles(lakeDir))).toHaveLength(1);
        expect(await queryLake(lakeDir, ALL_ROWS)).toEqual(before);
      });
    },
  );

  describe.each<CompactionStep>(['journaled', 'merged', 'published', 'input-removed'])(
    'a query made while the merge is at "%s"',
    (step) => {
      it('sees every reading exactly once', async () => {
        const pause = stopAt(step);
        const lakeCompactor = compactor({ retireAfterMs: 0, afterStep: pause.hook });
        const merging = lakeCompactor
          .compact('telemetry', PARTITION)
          .then(() => lakeCompactor.retireDue(true));
        await pause.atStep;

        const during = await queryLake(lakeDir, 'SELECT count(*)::INTEGER AS n FROM telemetry');

        pause.release();
        await merging;
        expect(during).toEqual([{ n: READINGS }]);
        expect(await queryLake(lakeDir, COUNTS)).toEqual(EXACTLY_ONCE);
      });
    },
  );

  it('lets a query that listed the files before the merge read them after it, within the grace', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await createLakeViews(connection, lakeDir, []);
      const lakeCompactor = compactor({ retireAfterMs: 10_000 });
      await lakeCompactor.compact('telemetry', PARTITION);

      const counted = await connection.runAndReadAll('SELECT count(*)::INTEGER FROM telemetry');

      expect(counted.getRows()).toEqual([[READINGS]]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('leaves a replay of the hour working: the replay replaces the partition, journal included', async () => {
    const lakeCompactor = compactor({ retireAfterMs: 10_000 });
    await lakeCompactor.compact('telemetry', PARTITION);

    const report = await replayFromRaw(
      lakeDir,
      replayWindow(new Date('2026-03-05T10:00:00Z'), new Date('2026-03-05T11:00:00Z')),
    );

    expect(report.totals.telemetryRows).toBe(READINGS);
    expect(await partitionFiles(lakeDir)).toEqual([expect.stringMatching(/^\d+-[0-9a-f-]+\.parquet$/)]);
    // The merge's pending retirement finds its journal gone and deletes nothing of the replay's.
    now = new Date(now.getTime() + 10_000);
    expect(await lakeCompactor.retireDue()).toBe(0);
    expect(await queryLake(lakeDir, ALL_ROWS)).toEqual(before);
    expect(await queryLake(lakeDir, COUNTS)).toEqual(EXACTLY_ONCE);
  });
});
