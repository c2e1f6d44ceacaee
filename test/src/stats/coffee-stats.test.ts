import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoffeeDatabase } from '../../../cloud/src/db/coffee-database.js';
import { migrateToLatest } from '../../../cloud/src/db/migrate.js';
import {
  type AttributeStats,
  type GroupStats,
  InvalidStatsOptionsError,
  readCoffeeStats,
} from '../../../cloud/src/stats/index.js';
import { type DatabaseBackend, mariaDbBackend, sqliteBackend } from './database-backends.js';
import { insertKnownCoffees, type KnownCoffee } from './known-coffees.js';

const attr = (known: number, yes: number): AttributeStats => ({
  known,
  yes,
  rate: known === 0 ? null : yes / known,
});

function hours(counts: Record<number, number>): number[] {
  return Array.from({ length: 24 }, (_, hour) => counts[hour] ?? 0);
}

const NOTHING: GroupStats = {
  cups: 0,
  analyzed: 0,
  withPerson: attr(0, 0),
  smile: attr(0, 0),
  eyeglasses: attr(0, 0),
  sunglasses: attr(0, 0),
  beard: attr(0, 0),
  mustache: attr(0, 0),
};

// Counted by hand from the table in known-coffees.ts.
const PI_A: GroupStats = {
  cups: 6,
  analyzed: 5,
  withPerson: attr(5, 4),
  smile: attr(4, 2),
  eyeglasses: attr(3, 1),
  sunglasses: attr(3, 1),
  beard: attr(3, 1),
  mustache: attr(3, 1),
};
const PI_B: GroupStats = {
  cups: 6,
  analyzed: 5,
  withPerson: attr(5, 5),
  smile: attr(5, 4),
  eyeglasses: attr(4, 1),
  sunglasses: attr(4, 0),
  beard: attr(4, 2),
  mustache: attr(4, 2),
};
const PI_C: GroupStats = {
  cups: 4,
  analyzed: 3,
  withPerson: attr(3, 3),
  smile: attr(3, 2),
  eyeglasses: attr(2, 1),
  sunglasses: attr(2, 0),
  beard: attr(2, 0),
  mustache: attr(2, 0),
};
const OVERALL: GroupStats = {
  cups: 16,
  analyzed: 13,
  withPerson: attr(13, 12),
  smile: attr(12, 8),
  eyeglasses: attr(9, 3),
  sunglasses: attr(9, 1),
  beard: attr(9, 3),
  mustache: attr(9, 3),
};

describe.each([sqliteBackend(), mariaDbBackend()])('readCoffeeStats on $name', (backend: DatabaseBackend) => {
  let database: CoffeeDatabase;
  let keys: Record<KnownCoffee, string>;
  const keysOf = (...labels: KnownCoffee[]) => labels.map((label) => keys[label]);

  beforeAll(async () => {
    await backend.setUp();
    database = await backend.fresh();
    await migrateToLatest(database.db);
    keys = await insertKnownCoffees(database.db);
  });

  afterAll(async () => {
    await backend.tearDown();
  });

  it('counts every row as a cup and rates attributes over known rows only', async () => {
    const stats = await readCoffeeStats(database.db);
    expect(stats.overall).toEqual(OVERALL);
    // Spelled out once: 8 smiles among the 12 rows that know, not among the 16 cups.
    expect(stats.overall.smile.rate).toBeCloseTo(2 / 3, 12);
  });

  it('gives per-device stats, by device id', async () => {
    const stats = await readCoffeeStats(database.db);
    expect(stats.perDevice).toEqual([
      { deviceId: 'pi-a', ...PI_A },
      { deviceId: 'pi-b', ...PI_B },
      { deviceId: 'pi-c', ...PI_C },
    ]);
  });

  it('counts cups by UTC hour of the day and by UTC day of the coffee', async () => {
    const stats = await readCoffeeStats(database.db);
    expect(stats.cupsByHourOfDay).toEqual(hours({ 0: 1, 7: 6, 8: 1, 9: 1, 10: 2, 12: 1, 13: 1, 23: 3 }));
    // a6 was analysed on 03-04 but captured on 03-03: capture time decides.
    expect(stats.cupsPerDay).toEqual([
      { day: '2026-03-01', cups: 5 },
      { day: '2026-03-02', cups: 6 },
      { day: '2026-03-03', cups: 5 },
    ]);
  });

  it('lists the 10 newest coffees by coffee time, ties by arrival', async () => {
    const stats = await readCoffeeStats(database.db);
    expect(stats.latest.map((coffee) => coffee.photoKey)).toEqual(
      keysOf('a6', 'b6', 'c4', 'c3', 'b5', 'b4', 'c2', 'c1', 'a5', 'b3'),
    );
  });

  it('gives every field of a latest coffee, unknown attributes as null', async () => {
    const stats = await readCoffeeStats(database.db, { latest: 3 });
    expect(stats.latest).toHaveLength(3);
    expect(stats.latest[0]).toEqual({
      deviceId: 'pi-a',
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      photoKey: keys.a6,
      capturedAt: '2026-03-03T23:59:59.999Z',
      analyzedAt: '2026-03-04T00:00:01.999Z',
      status: 'analyzed',
      reason: null,
      analyzer: 'rekognition',
      personPresent: true,
      faceCount: 2,
      smile: false,
      smileConfidence: 88.25,
      eyeglasses: false,
      eyeglassesConfidence: 95.5,
      sunglasses: true,
      sunglassesConfidence: 95.5,
      beard: false,
      beardConfidence: 95.5,
      mustache: false,
      mustacheConfidence: 95.5,
      eyesOpen: true,
      eyesOpenConfidence: 97.5,
      ageLow: 30,
      ageHigh: 38,
      emotion: 'CALM',
      emotionConfidence: 80.125,
    });
    expect(stats.latest[2]).toMatchObject({
      photoKey: keys.c4,
      analyzer: 'local',
      personPresent: true,
      smile: false,
      eyeglasses: null,
      eyeglassesConfidence: null,
      sunglasses: null,
      beard: null,
      mustache: null,
    });
  });

  it('narrows everything to one device', async () => {
    const stats = await readCoffeeStats(database.db, { deviceId: 'pi-b' });
    expect(stats.overall).toEqual(PI_B);
    expect(stats.perDevice).toEqual([{ deviceId: 'pi-b', ...PI_B }]);
    expect(stats.cupsByHourOfDay).toEqual(hours({ 0: 1, 7: 2, 9: 1, 13: 1, 23: 1 }));
    expect(stats.cupsPerDay).toEqual([
      { day: '2026-03-01', cups: 2 },
      { day: '2026-03-02', cups: 2 },
      { day: '2026-03-03', cups: 2 },
    ]);
    expect(stats.latest.map((coffee) => coffee.photoKey)).toEqual(keysOf('b6', 'b5', 'b4', 'b3', 'b2', 'b1'));
    // b2 was never captured: no capture time, nothing known.
    expect(stats.latest[4]).toMatchObject({
      capturedAt: null,
      analyzedAt: '2026-03-01T09:20:00.000Z',
      status: 'missing',
      reason: 'photo deleted before analysis',
      analyzer: null,
      personPresent: null,
      smile: null,
      smileConfidence: null,
    });
  });

  it('narrows everything to a range of days, both ends included', async () => {
    const stats = await readCoffeeStats(database.db, { fromDay: '2026-03-02', toDay: '2026-03-02' });
    expect(stats.overall).toEqual({
      cups: 6,
      analyzed: 4,
      withPerson: attr(4, 3),
      smile: attr(3, 3),
      eyeglasses: attr(2, 1),
      sunglasses: attr(2, 0),
      beard: attr(2, 0),
      mustache: attr(2, 0),
    });
    expect(stats.perDevice.map(({ deviceId, cups }) => [deviceId, cups])).toEqual([
      ['pi-a', 2],
      ['pi-b', 2],
      ['pi-c', 2],
    ]);
    expect(stats.cupsByHourOfDay).toEqual(hours({ 7: 2, 8: 1, 10: 2, 13: 1 }));
    expect(stats.cupsPerDay).toEqual([{ day: '2026-03-02', cups: 6 }]);
    expect(stats.latest.map((coffee) => coffee.photoKey)).toEqual(keysOf('b4', 'c2', 'c1', 'a5', 'b3', 'a4'));

    expect((await readCoffeeStats(database.db, { fromDay: '2026-03-03' })).overall.cups).toBe(5);
    expect((await readCoffeeStats(database.db, { toDay: '2026-03-01' })).cupsPerDay).toEqual([
      { day: '2026-03-01', cups: 5 },
    ]);
  });

  it('combines the device and day filters', async () => {
    const stats = await readCoffeeStats(database.db, { deviceId: 'pi-c', fromDay: '2026-03-03' });
    expect(stats.overall).toMatchObject({ cups: 2, analyzed: 2, smile: attr(2, 1) });
    expect(stats.latest.map((coffee) => coffee.photoKey)).toEqual(keysOf('c4', 'c3'));
  });

  it('lists as many latest coffees as asked, or none', async () => {
    expect((await readCoffeeStats(database.db, { latest: 2 })).latest.map((c) => c.photoKey)).toEqual(
      keysOf('a6', 'b6'),
    );
    expect((await readCoffeeStats(database.db, { latest: 0 })).latest).toEqual([]);
    expect((await readCoffeeStats(database.db, { latest: 100 })).latest).toHaveLength(16);
  });

  it('gives zeros and null rates for a selection with no coffees', async () => {
    const stats = await readCoffeeStats(database.db, { deviceId: 'pi-unknown' });
    expect(stats).toEqual({
      overall: NOTHING,
      perDevice: [],
      cupsByHourOfDay: hours({}),
      cupsPerDay: [],
      latest: [],
    });
  });

  it('gives zeros and null rates for an empty database', async () => {
    const empty = await backend.fresh();
    await migrateToLatest(empty.db);
    const stats = await readCoffeeStats(empty.db);
    expect(stats).toEqual({
      overall: NOTHING,
      perDevice: [],
      cupsByHourOfDay: hours({}),
      cupsPerDay: [],
      latest: [],
    });
  });

  it('reads inside a caller’s transaction', async () => {
    const stats = await database.db.transaction().execute((tx) => readCoffeeStats(tx, { deviceId: 'pi-a' }));
    expect(stats.overall).toEqual(PI_A);
  });
});

describe('readCoffeeStats options', () => {
  const backend = sqliteBackend();
  afterAll(() => backend.tearDown());

  it('rejects malformed options before touching the database, naming each problem', async () => {
    const { db } = await backend.fresh();
    const error = await readCoffeeStats(db, {
      deviceId: ' ',
      fromDay: '2026-3-1',
      toDay: '2026-02-30',
      latest: -1,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidStatsOptionsError);
    expect((error as Error).message).toBe(
      'invalid stats options: deviceId must not be empty; ' +
        'fromDay must be a UTC day as yyyy-mm-dd, got "2026-3-1"; ' +
        'toDay must be a UTC day as yyyy-mm-dd, got "2026-02-30"; ' +
        'latest must be a whole number from 0 to 1000, got -1',
    );
  });

  it('rejects a reversed day range', async () => {
    const { db } = await backend.fresh();
    await expect(readCoffeeStats(db, { fromDay: '2026-03-03', toDay: '2026-03-01' })).rejects.toThrow(
      'fromDay (2026-03-03) is after toDay (2026-03-01)',
    );
  });
});
