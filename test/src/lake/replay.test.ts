import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { runReplay } from '../../../cloud/src/cli/commands/replay.js';
import {
  openLocalLake,
  parseErrorLines,
  recoverInterruptedReplays,
  replayFromRaw,
  replayWindow,
} from '../../../cloud/src/lake/local/index.js';
import { runCommand } from '../cli/run-cli.js';
import {
  at,
  KNOWN_BATCHES,
  KNOWN_STATS,
  lakeFiles,
  queryLake,
  reading,
  telemetryRecord,
  tempLake,
  textRecord,
} from './local-lake-fixtures.js';

const HOUR = (h: string) => `ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=${h}`;
const STATS_SQL = `SELECT device_id, min(temperature) AS min, max(temperature) AS max, count(*) AS count
FROM telemetry GROUP BY device_id ORDER BY device_id`;
const ALL_ROWS = {
  telemetry: 'SELECT * FROM telemetry_all ORDER BY device_id, seq, ingest_time',
  coffees: 'SELECT * FROM coffees_all ORDER BY photo_key, ingest_time',
};
const numeric = (rows: Record<string, unknown>[]) =>
  rows.map((row) => ({ ...row, count: Number(row.count) }));

/** `coffee-iot replay ARGV` in-process, output captured. */
const replay = (argv: string[], io: Partial<CliIo> = {}) => runCommand(runReplay, argv, io);

/** Everything a reader could see: every stored row of both tables and every refused record. */
async function lakeContents(lakeDir: string) {
  const errors = [];
  for (const key of (await lakeFiles(lakeDir)).filter((k) => k.startsWith('errors/'))) {
    errors.push(...parseErrorLines(await readFile(join(lakeDir, key), 'utf8')));
  }
  return {
    telemetry: await queryLake(lakeDir, ALL_ROWS.telemetry),
    coffees: await queryLake(lakeDir, ALL_ROWS.coffees),
    errors: errors.sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

describe('replay', () => {
  let lakeDir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: lakeDir, remove } = await tempLake());
    const lake = await openLocalLake(lakeDir);
    for (const batch of KNOWN_BATCHES) await lake.ingest(batch.records, batch.arrivedAt);
    // Hour 11 gets a second, small batch: a resent reading (dropped) and a refused record.
    await lake.ingest(
      [telemetryRecord('coffee-pi-a', [reading(4, 23), reading(5, 18)]), textRecord('not json')],
      at('2026-03-05T11:45:00Z'),
    );
    await lake.close();
  });

  afterEach(async () => {
    await remove();
  });

  const window = (from: string, to: string) => replayWindow(at(from), at(to));

  it('reproduces the live rows from the raw archive, and gives the same rows when run twice', async () => {
    const live = await lakeContents(lakeDir);
    expect(live.telemetry).toHaveLength(9);
    expect(live.errors).toHaveLength(1);

    const first = await replayFromRaw(lakeDir, window('2026-03-05T10:00Z', '2026-03-05T13:00Z'));
    expect(first.totals).toEqual({
      rawFiles: 5,
      records: 9,
      telemetryRows: 9,
      coffeeRows: 2,
      rejected: 1,
      duplicateReadings: 1,
      duplicateCoffees: 0,
    });
    const once = await lakeContents(lakeDir);
    expect(once).toEqual(live);

    const second = await replayFromRaw(lakeDir, window('2026-03-05T10:00Z', '2026-03-05T13:00Z'));
    expect(second.totals).toEqual(first.totals);
    expect(second.hours.map((h) => [h.hour, h.telemetry, h.coffees, h.errors])).toEqual([
      [
        '2026-03-05T10:00:00.000Z',
        { before: 3, after: 3 },
        { before: null, after: 0 },
        { before: null, after: 0 },
      ],
      ['2026-03-05T11:00:00.000Z', { before: 3, after: 3 }, { before: 2, after: 2 }, { before: 1, after: 1 }],
      [
        '2026-03-05T12:00:00.000Z',
        { before: 3, after: 3 },
        { before: null, after: 0 },
        { before: null, after: 0 },
      ],
    ]);
    expect(await lakeContents(lakeDir)).toEqual(once);
    expect(
      numeric(
        await queryLake(lakeDir, `${STATS_SQL.replace('ORDER BY', "HAVING device_id <> 'x' ORDER BY")}`),
      ),
    ).toEqual(KNOWN_STATS.map((s) => (s.device_id === 'coffee-pi-a' ? { ...s, min: 18, count: 5 } : s)));
    // Replay compacts: one file per table and hour.
    expect(
      (await lakeFiles(lakeDir)).filter((k) => k.startsWith(`curated/telemetry/${HOUR('11')}/`)),
    ).toHaveLength(1);
    expect(await readdir(join(lakeDir, '.replay'))).toEqual([]);
  });

  it("keeps the device of archived records written before the rule added the topic's thing", async () => {
    const legacy = telemetryRecord('coffee-pi-l', [reading(1, 21), reading(2, 22)]);
    const { thing: _thing, ...withoutThing } = JSON.parse(new TextDecoder().decode(legacy.data));
    const lake = await openLocalLake(lakeDir);
    // Live, the stream's partition key vouched for it; the archive keeps the bytes only.
    await lake.ingest(
      [{ partitionKey: 'coffee-pi-l', data: new TextEncoder().encode(JSON.stringify(withoutThing)) }],
      at('2026-03-05T12:30:00Z'),
    );
    await lake.close();
    const sql = "SELECT device_id, seq FROM telemetry_all WHERE device_id = 'coffee-pi-l' ORDER BY seq";
    const live = await queryLake(lakeDir, sql);
    expect(live).toEqual([
      { device_id: 'coffee-pi-l', seq: '1' },
      { device_id: 'coffee-pi-l', seq: '2' },
    ]);
    await replayFromRaw(lakeDir, window('2026-03-05T12:00Z', '2026-03-05T13:00Z'));
    expect(await queryLake(lakeDir, sql)).toEqual(live);
  });

  it('rebuilds a deleted curated partition', async () => {
    await rm(join(lakeDir, 'curated', 'telemetry', ...HOUR('11').split('/')), { recursive: true });
    expect(numeric(await queryLake(lakeDir, STATS_SQL))[0]).toEqual({
      device_id: 'coffee-pi-a',
      min: 20,
      max: 21.5,
      count: 2,
    });

    const report = await replayFromRaw(lakeDir, window('2026-03-05T11:00Z', '2026-03-05T12:00Z'));
    expect(report.hours).toEqual([
      expect.objectContaining({
        partition: HOUR('11'),
        rawFiles: 2,
        telemetry: { before: null, after: 3 },
        coffees: { before: 2, after: 2 },
      }),
    ]);
    expect(numeric(await queryLake(lakeDir, STATS_SQL))[0]).toEqual({
      device_id: 'coffee-pi-a',
      min: 18,
      max: 23,
      count: 5,
    });
  });

  it('replaces a partition rather than adding to it: rows no transform of the raw archive gives are gone', async () => {
    // What an earlier, different transform could have left: an extra file in hour 10.
    const hour10 = join(lakeDir, 'curated', 'telemetry', ...HOUR('10').split('/'));
    const [liveFile] = await readdir(hour10);
    await writeFile(
      join(hour10, 'from-an-old-transform.parquet'),
      await readFile(join(hour10, liveFile as string)),
    );
    expect(await queryLake(lakeDir, 'SELECT count(*) AS n FROM telemetry_all')).toEqual([{ n: '12' }]);

    await replayFromRaw(lakeDir, window('2026-03-05T10:00Z', '2026-03-05T11:00Z'));
    expect(await queryLake(lakeDir, 'SELECT count(*) AS n FROM telemetry_all')).toEqual([{ n: '9' }]);
    expect(await readdir(hour10)).toEqual([liveFile]);
  });

  it('touches only the window', async () => {
    const files = async () => {
      const result = new Map<string, number>();
      for (const key of await lakeFiles(lakeDir)) result.set(key, (await stat(join(lakeDir, key))).ino);
      return result;
    };
    const before = await files();
    await replayFromRaw(lakeDir, window('2026-03-05T11:00Z', '2026-03-05T12:00Z'));
    const after = await files();

    const inWindow = (key: string) => key.includes(HOUR('11'));
    const outside = [...before.keys()].filter((key) => !inWindow(key));
    expect(outside.length).toBeGreaterThan(0);
    for (const key of outside) expect(after.get(key), key).toBe(before.get(key));
    // Raw files are never rewritten; curated files and errors of the hour are new files.
    for (const key of [...after.keys()].filter(inWindow)) {
      if (key.startsWith('raw/')) expect(after.get(key)).toBe(before.get(key));
      else expect(after.get(key), key).not.toBe(before.get(key));
    }
    expect([...after.keys()].filter((key) => !inWindow(key))).toEqual(outside);
  });

  it('leaves hours without a raw archive as they are, and says so', async () => {
    await rm(join(lakeDir, 'raw', ...HOUR('12').split('/')), { recursive: true });
    const report = await replayFromRaw(lakeDir, window('2026-03-05T10:00Z', '2026-03-05T13:00Z'));
    expect(report.keptWithoutRaw).toEqual([`curated/telemetry/${HOUR('12')}`]);
    expect(report.hours.map((h) => h.partition)).toEqual([HOUR('10'), HOUR('11')]);
    expect(await queryLake(lakeDir, "SELECT count(*) AS n FROM telemetry WHERE ingest_hour = '12'")).toEqual([
      { n: '3' },
    ]);
  });
});

describe('coffee-iot replay', () => {
  let lakeDir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: lakeDir, remove } = await tempLake());
    const lake = await openLocalLake(lakeDir);
    for (const batch of KNOWN_BATCHES) await lake.ingest(batch.records, batch.arrivedAt);
    await lake.close();
  });

  afterEach(async () => {
    await remove();
  });

  it('prints what it did, and the same counts when run again', async () => {
    const argv = ['--from', '2026-03-05T10', '--to', '2026-03-05T12:00Z', '--lake', lakeDir];
    await rm(join(lakeDir, 'curated', 'coffees'), { recursive: true });
    const first = await replay(argv, { now: () => at('2026-03-06T08:00:00Z') });
    expect(first).toEqual({
      code: 0,
      stdout: [
        'replayed ingest hours 2026-03-05 10:00 to 2026-03-05 12:00 UTC from 2 raw files (5 records)',
        '',
        'HOUR (UTC)        RAW FILES  RECORDS  TELEMETRY ROWS   COFFEE ROWS  REJECTED',
        '2026-03-05 10:00          1        2               3             0         0',
        '2026-03-05 11:00          1        3               2  2 (was none)         0',
        '',
        '2 partition hours replaced: 5 readings, 2 coffees, 0 refused (in errors/)',
        'duplicates left out: 0 readings, 0 coffees',
        '',
      ].join('\n'),
      stderr: '',
    });
    const second = await replay([...argv, '--json'], { now: () => at('2026-03-06T08:00:00Z') });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      totals: { rawFiles: 2, records: 5, telemetryRows: 5, coffeeRows: 2, rejected: 0 },
      hours: [
        { partition: HOUR('10'), telemetry: { before: 3, after: 3 } },
        { partition: HOUR('11'), coffees: { before: 2, after: 2 } },
      ],
    });
  });

  it('warns when the window reaches the current ingest hour', async () => {
    const run = await replay(['--from', '2026-03-05', '--to', '2026-03-06', '--lake', lakeDir], {
      now: () => at('2026-03-05T12:30:00Z'),
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: the window reaches the current ingest hour');
  });

  it.each([
    [['--to', '2026-03-05T12'], /replay needs --from/],
    [
      ['--from', '2026-03-05T10:30', '--to', '2026-03-05T12'],
      /from 2026-03-05T10:30:00.000Z is not on a whole UTC hour/,
    ],
    [['--from', '2026-03-05T12', '--to', '2026-03-05T12'], /must be before to/],
    [['--from', '2026-02-30', '--to', '2026-03-05T12'], /"2026-02-30" is not a real UTC time/],
    [['--from', '2026-03-05T10+01:00', '--to', '2026-03-05T12'], /is not a UTC time/],
    [['--from', '2026-03-05T10', '--to', '2026-03-05T12', '--force'], /Unknown option '--force'/],
  ])('exits 2 on bad usage: %j', async (argv, message) => {
    const run = await replay([...(argv as string[]), '--lake', lakeDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exits 1 when there is no lake', async () => {
    const run = await replay([
      '--from',
      '2026-03-05T10',
      '--to',
      '2026-03-05T12',
      '--lake',
      join(lakeDir, 'nope'),
    ]);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/no lake at .*nope/);
  });
});

describe('an interrupted replay', () => {
  let lakeDir: string;
  let remove: () => Promise<void>;
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

  beforeEach(async () => {
    ({ dir: lakeDir, remove } = await tempLake());
  });

  afterEach(async () => {
    await remove();
  });

  /** Partition `key` holding one file `name` (content `name`) under `root`. */
  async function partition(root: string, key: string, name: string) {
    await mkdir(join(root, ...key.split('/')), { recursive: true });
    await writeFile(join(root, ...key.split('/'), name), name);
  }

  async function staging(id: string, pid: number) {
    const dir = join(lakeDir, '.replay', id);
    await mkdir(join(dir, 'new'), { recursive: true });
    await writeFile(join(dir, 'owner.json'), JSON.stringify({ pid }));
    return dir;
  }

  const A = `curated/telemetry/${HOUR('10')}`;
  const B = `curated/telemetry/${HOUR('11')}`;
  const C = `errors/${HOUR('11')}`;

  it('that had not committed leaves the old partitions, and its staging is thrown away', async () => {
    await partition(lakeDir, A, 'old-a.parquet');
    const dir = await staging('uncommitted', deadPid());
    await partition(join(dir, 'new'), A, 'new-a.parquet');

    expect(await recoverInterruptedReplays(lakeDir)).toEqual([dir]);
    expect(await lakeFiles(lakeDir)).toEqual([`${A}/old-a.parquet`]);
  });

  it('that had committed is finished: every partition new, none mixed, one to be removed gone', async () => {
    await partition(lakeDir, A, 'old-a.parquet');
    await partition(lakeDir, C, 'old-c.json');
    const dir = await staging('committed', deadPid());
    await writeFile(
      join(dir, 'plan.json'),
      JSON.stringify({
        partitions: [
          { key: A, hasNew: true },
          { key: B, hasNew: true },
          { key: C, hasNew: false },
        ],
      }),
    );
    // It crashed between the two renames of A: the old one moved aside, the new one not yet in.
    await partition(join(dir, 'old'), A, 'old-a.parquet');
    await rm(join(lakeDir, ...A.split('/')), { recursive: true });
    await partition(join(dir, 'new'), A, 'new-a.parquet');
    await partition(join(dir, 'new'), B, 'new-b.parquet');

    // Opening the lake finishes it.
    const lake = await openLocalLake(lakeDir);
    await lake.close();
    expect(await lakeFiles(lakeDir)).toEqual([`${A}/new-a.parquet`, `${B}/new-b.parquet`]);
  });

  it('whose process is still running is left alone', async () => {
    const dir = await staging('running', process.pid);
    await partition(join(dir, 'new'), A, 'new-a.parquet');
    expect(await recoverInterruptedReplays(lakeDir)).toEqual([]);
    expect(await lakeFiles(lakeDir)).toEqual([
      `.replay/running/new/${A}/new-a.parquet`,
      '.replay/running/owner.json',
    ]);
  });
});
