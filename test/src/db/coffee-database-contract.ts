import { type CoffeeRecord, UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CoffeeDatabase,
  createCoffeeRepository,
  createDeviceRepository,
  DatabaseUnavailableError,
  InvalidDeviceChangeError,
  LATEST_MIGRATION,
  migrateTo,
  migrateToLatest,
  type NewCoffee,
  UnknownPhotoKeyError,
} from '../../../cloud/src/db/index.js';
import { MIGRATIONS } from '../../../cloud/src/db/migrations/index.js';
import { sampleCoffeeRecord } from '../../../cloud/src/testing/coffee-fixtures.js';

/** One database for one test: a fresh SQLite file or a fresh MariaDB database. */
export interface DatabaseTarget {
  /** A new pool (MySQL) or handle (SQLite) on this test's database. */
  open(): CoffeeDatabase;
  /** Makes the database unreachable (server stopped, file locked by another process)… */
  takeDown(): Promise<void>;
  /** …and reachable again. */
  bringBack(): Promise<void>;
  cleanup(): Promise<void>;
}

const FIRST_MIGRATION = '0001-coffees-and-devices';
/** Every migration after the first, in order. */
const LATER_MIGRATIONS = Object.keys(MIGRATIONS).slice(1);
const NOW = new Date('2026-03-05T12:00:00.000Z');

function coffee(
  overrides: Partial<CoffeeRecord> = {},
  faceDetails: unknown = [{ Smile: { Value: true } }],
): NewCoffee {
  return { record: sampleCoffeeRecord(overrides), faceDetails };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  // A fixed-seed shuffle: the interleaving varies across items but the test is repeatable.
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

/**
 * The database layer's behaviour, run against every database it supports (SQLite for the local
 * stack, MariaDB standing in for Aurora MySQL).
 */
export function describeCoffeeDatabase(name: string, createTarget: () => Promise<DatabaseTarget>): void {
  describe(`coffee database on ${name}`, () => {
    let target: DatabaseTarget;
    let opened: CoffeeDatabase[];

    function open(): CoffeeDatabase {
      const database = target.open();
      opened.push(database);
      return database;
    }

    async function openMigrated(): Promise<CoffeeDatabase> {
      const database = open();
      await migrateToLatest(database.db);
      return database;
    }

    beforeEach(async () => {
      opened = [];
      target = await createTarget();
    });

    afterEach(async () => {
      await Promise.all(opened.map((database) => database.close()));
      await target.cleanup();
    });

    describe('migrations', () => {
      it('bring an empty database to the latest version, and a second run applies nothing', async () => {
        const { db } = open();
        const first = await migrateToLatest(db);
        expect(first).toEqual({ applied: [FIRST_MIGRATION, ...LATER_MIGRATIONS], current: LATEST_MIGRATION });

        const tables = await db.introspection.getTables();
        const coffees = tables.find((table) => table.name === 'coffees');
        expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['coffees', 'devices']));
        expect(coffees?.columns.map((column) => column.name)).toContain('streamed_at');

        expect(await migrateToLatest(db)).toEqual({ applied: [], current: LATEST_MIGRATION });
      });

      it('make photo_key unique', async () => {
        const { db } = await openMigrated();
        const row = {
          photo_key: 'photos/coffee-pi-01/2026/03/02/x.jpg',
          device_id: 'coffee-pi-01',
          event_id: '00000000-0000-4000-8000-000000000000',
          coffee_day: '2026-03-02',
          coffee_hour: 8,
          analyzed_at: '2026-03-02 08:15:32.250',
          status: 'missing',
        };
        await db.insertInto('coffees').values(row).execute();
        await expect(db.insertInto('coffees').values(row).execute()).rejects.toThrow(/photo_key/);
      });

      it('upgrade a version-1 database, keeping its rows and marking them streamed at analysis time', async () => {
        const { db } = open();
        expect(await migrateTo(db, FIRST_MIGRATION)).toEqual({
          applied: [FIRST_MIGRATION],
          current: FIRST_MIGRATION,
        });
        await db
          .insertInto('coffees')
          .values({
            photo_key: 'photos/coffee-pi-01/2025/12/24/11111111-1111-4111-8111-111111111111.jpg',
            device_id: 'coffee-pi-01',
            event_id: '11111111-1111-4111-8111-111111111111',
            captured_at: '2025-12-24 07:00:00.125',
            coffee_day: '2025-12-24',
            coffee_hour: 7,
            analyzed_at: '2025-12-24 07:00:01.500',
            status: 'analyzed',
            smile: 1,
          })
          .execute();

        expect(await migrateToLatest(db)).toEqual({ applied: LATER_MIGRATIONS, current: LATEST_MIGRATION });

        const rows = await db
          .selectFrom('coffees')
          .select(['event_id', 'smile', 'analyzed_at', 'streamed_at'])
          .execute();
        expect(rows).toEqual([
          {
            event_id: '11111111-1111-4111-8111-111111111111',
            smile: 1,
            analyzed_at: '2025-12-24 07:00:01.500',
            streamed_at: '2025-12-24 07:00:01.500',
          },
        ]);
      });

      it('go back to version 1 and up again', async () => {
        const { db } = await openMigrated();
        expect(await migrateTo(db, FIRST_MIGRATION)).toEqual({
          applied: [...LATER_MIGRATIONS].reverse(),
          current: FIRST_MIGRATION,
        });
        const coffees = (await db.introspection.getTables()).find((table) => table.name === 'coffees');
        expect(coffees?.columns.map((column) => column.name)).not.toContain('streamed_at');
        expect((await migrateToLatest(db)).applied).toEqual(LATER_MIGRATIONS);
      });
    });

    describe('recordCoffee and findByPhotoKey', () => {
      it('round-trip every field of a record, nulls and confidences included', async () => {
        const repository = createCoffeeRepository(await openMigrated(), { now: () => NOW });
        const analyzed = coffee({
          smileConfidence: 99.98765432109876,
          eyeglasses: true,
          eyeglassesConfidence: 50.5,
          sunglasses: null,
          sunglassesConfidence: null,
          beard: true,
          beardConfidence: 0,
          mustacheConfidence: 100,
          ageLow: 0,
          ageHigh: 3,
          emotion: 'CALM',
          emotionConfidence: 12.000001,
        });
        const unanalyzable = coffee(
          {
            ...UNKNOWN_FACE_ATTRIBUTES,
            capturedAt: null,
            analyzedAt: '2026-03-03T23:59:59.999Z',
            status: 'unanalyzable',
            reason: 'photo is 16 MB, Rekognition takes at most 15 MB',
            analyzer: null,
          },
          null,
        );

        for (const { record } of [analyzed, unanalyzable]) {
          expect(await repository.findByPhotoKey(record.photoKey)).toBeNull();
        }
        expect(await repository.recordCoffee(analyzed)).toBe('inserted');
        expect(await repository.recordCoffee(unanalyzable)).toBe('inserted');

        expect(await repository.findByPhotoKey(analyzed.record.photoKey)).toEqual({
          record: analyzed.record,
          streamedAt: null,
        });
        expect(await repository.findByPhotoKey(unanalyzable.record.photoKey)).toEqual({
          record: unanalyzable.record,
          streamedAt: null,
        });
      });

      it('store the coffee day and hour in UTC (capture time, else analysis time) and the raw answer as JSON', async () => {
        const database = await openMigrated();
        const repository = createCoffeeRepository(database, { now: () => NOW });
        const captured = coffee(
          { capturedAt: '2026-03-01T23:30:00.000Z', analyzedAt: '2026-03-02T00:30:00.000Z' },
          [{ Smile: { Value: true, Confidence: 97.5 }, Emotions: [{ Type: 'HAPPY', Confidence: 91 }] }],
        );
        const uncaptured = coffee({ capturedAt: null, analyzedAt: '2026-03-02T05:10:00.000Z' }, null);
        await repository.recordCoffee(captured);
        await repository.recordCoffee(uncaptured);

        const rows = await database.db
          .selectFrom('coffees')
          .select(['photo_key', 'coffee_day', 'coffee_hour', 'face_details'])
          .orderBy('coffee_day')
          .orderBy('coffee_hour')
          .execute();
        expect(rows).toEqual([
          {
            photo_key: captured.record.photoKey,
            coffee_day: '2026-03-01',
            coffee_hour: 23,
            face_details: expect.any(String),
          },
          {
            photo_key: uncaptured.record.photoKey,
            coffee_day: '2026-03-02',
            coffee_hour: 5,
            face_details: null,
          },
        ]);
        expect(JSON.parse(rows[0]?.face_details ?? 'null')).toEqual(captured.faceDetails);
      });

      it('answer duplicate for a photo key already recorded, and change nothing', async () => {
        const database = await openMigrated();
        const repository = createCoffeeRepository(database, { now: () => NOW });
        const first = coffee();
        expect(await repository.recordCoffee(first)).toBe('inserted');
        const deviceBefore = await createDeviceRepository(database).getDevice(first.record.deviceId);

        const again = coffee({
          eventId: first.record.eventId,
          photoKey: first.record.photoKey,
          smile: false,
          analyzedAt: '2026-03-04T10:00:00.000Z',
        });
        const later = createCoffeeRepository(database, { now: () => new Date('2026-03-06T00:00:00.000Z') });
        expect(await later.recordCoffee(again)).toBe('duplicate');

        const count = await database.db
          .selectFrom('coffees')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst();
        expect(Number(count?.n)).toBe(1);
        expect((await repository.findByPhotoKey(first.record.photoKey))?.record).toEqual(first.record);
        expect(await createDeviceRepository(database).getDevice(first.record.deviceId)).toEqual(deviceBefore);
      });

      it('register the device on its first coffee and widen first/last seen as photos arrive out of order', async () => {
        const database = await openMigrated();
        const repository = createCoffeeRepository(database, { now: () => NOW });
        const devices = createDeviceRepository(database);

        await repository.recordCoffee(coffee({ capturedAt: '2026-03-02T08:00:00.000Z' }));
        expect(await devices.getDevice('coffee-pi-01')).toEqual({
          thingName: 'coffee-pi-01',
          owner: null,
          location: null,
          model: null,
          firstSeenAt: '2026-03-02T08:00:00.000Z',
          lastSeenAt: '2026-03-02T08:00:00.000Z',
          updatedAt: NOW.toISOString(),
        });

        await repository.recordCoffee(coffee({ capturedAt: '2026-03-02T09:00:00.000Z' }));
        await repository.recordCoffee(coffee({ capturedAt: '2026-03-01T07:00:00.000Z' }));
        await repository.recordCoffee(coffee({ capturedAt: '2026-03-01T12:00:00.000Z' }));
        await repository.recordCoffee(coffee({ capturedAt: null, analyzedAt: '2026-03-03T06:00:00.000Z' }));

        expect(await devices.getDevice('coffee-pi-01')).toMatchObject({
          firstSeenAt: '2026-03-01T07:00:00.000Z',
          lastSeenAt: '2026-03-03T06:00:00.000Z',
        });
      });

      it('record each photo once when the same photos arrive in parallel over two pools', async () => {
        const first = await openMigrated();
        const second = open();
        const repositories = [createCoffeeRepository(first), createCoffeeRepository(second)];
        const things = ['coffee-pi-01', 'coffee-pi-02', 'coffee-pi-03', 'coffee-pi-04'];
        const records = Array.from({ length: 20 }, (_, i) =>
          coffee({
            deviceId: things[i % things.length],
            capturedAt: new Date(Date.UTC(2026, 2, 1 + ((i * 7) % 5), (i * 5) % 24, i)).toISOString(),
          }),
        );
        const calls = shuffled(
          records.flatMap((record, i) => [
            { record, repository: repositories[i % 2] },
            { record, repository: repositories[(i + 1) % 2] },
          ]),
          42,
        );

        const outcomes = await Promise.all(
          calls.map(({ record, repository }) => repository?.recordCoffee(record)),
        );

        expect(outcomes.filter((outcome) => outcome === 'inserted')).toHaveLength(20);
        expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(20);
        const rows = await first.db.selectFrom('coffees').select('photo_key').execute();
        expect(rows.map((row) => row.photo_key).sort()).toEqual(records.map((c) => c.record.photoKey).sort());

        const seen = await createDeviceRepository(first).listDevices();
        expect(
          seen.map(({ thingName, firstSeenAt, lastSeenAt }) => ({ thingName, firstSeenAt, lastSeenAt })),
        ).toEqual(
          things.map((thing) => {
            const times = records
              .filter((c) => c.record.deviceId === thing)
              .map((c) => c.record.capturedAt as string)
              .sort();
            return { thingName: thing, firstSeenAt: times[0], lastSeenAt: times.at(-1) };
          }),
        );
      });

      it('let errors that are not about reaching the database through as they are', async () => {
        const repository = createCoffeeRepository(open());
        const error = await repository.recordCoffee(coffee()).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(DatabaseUnavailableError);
        expect(String(error)).toMatch(/coffees/);
      });
    });

    describe('recordStreamedCoffee (the stream write inside the transaction: one commit per photo)', () => {
      const STREAMED_AT = new Date('2026-03-05T12:00:01.250Z');

      it('writes the coffee and its device, publishes, and commits the row marked streamed; a duplicate is not published', async () => {
        const database = await openMigrated();
        const repository = createCoffeeRepository(database, { now: () => NOW });
        const one = coffee({ capturedAt: '2026-03-02T08:00:00.000Z' });
        const published: string[] = [];

        const outcome = await repository.recordStreamedCoffee(
          one,
          async () => {
            published.push(one.record.photoKey);
          },
          STREAMED_AT,
        );

        expect(outcome).toBe('inserted');
        expect(published).toEqual([one.record.photoKey]);
        expect(await repository.findByPhotoKey(one.record.photoKey)).toEqual({
          record: one.record,
          streamedAt: STREAMED_AT.toISOString(),
        });
        expect(await createDeviceRepository(database).getDevice(one.record.deviceId)).toMatchObject({
          firstSeenAt: '2026-03-02T08:00:00.000Z',
          lastSeenAt: '2026-03-02T08:00:00.000Z',
        });

        const again = coffee({ eventId: one.record.eventId, photoKey: one.record.photoKey, smile: false });
        const later = new Date('2026-03-06T00:00:00.000Z');
        expect(
          await repository.recordStreamedCoffee(
            again,
            async () => {
              published.push(again.record.photoKey);
            },
            later,
          ),
        ).toBe('duplicate');
        expect(published).toHaveLength(1);
        expect(await repository.findByPhotoKey(one.record.photoKey)).toEqual({
          record: one.record,
          streamedAt: STREAMED_AT.toISOString(),
        });
      });

      it('when publishing fails: commits the row unstreamed (a retry streams it, no new analysis) and throws the stream error as it is', async () => {
        const database = await openMigrated();
        const repository = createCoffeeRepository(database, { now: () => NOW });
        const one = coffee();
        // Named like a Data API refusal: it must not be mistaken for the database being unavailable.
        const refused = Object.assign(new Error('stream refused the record'), {
          name: 'ThrottlingException',
        });

        const error = await repository
          .recordStreamedCoffee(
            one,
            async () => {
              throw refused;
            },
            STREAMED_AT,
          )
          .catch((caught: unknown) => caught);

        expect(error).toBe(refused);
        expect(await repository.findByPhotoKey(one.record.photoKey)).toEqual({
          record: one.record,
          streamedAt: null,
        });
        expect(await createDeviceRepository(database).getDevice(one.record.deviceId)).not.toBeNull();
      });

      it('publishes each photo once when the same photos arrive in parallel over two pools', async () => {
        const first = await openMigrated();
        const repositories = [createCoffeeRepository(first), createCoffeeRepository(open())];
        const records = Array.from({ length: 10 }, (_, i) =>
          coffee({ deviceId: `coffee-pi-0${(i % 3) + 1}` }),
        );
        const published: string[] = [];
        const outcomes = await Promise.all(
          shuffled(
            records.flatMap((record) => repositories.map((repository) => ({ record, repository }))),
            7,
          ).map(({ record, repository }) =>
            repository?.recordStreamedCoffee(
              record,
              async () => {
                published.push(record.record.photoKey);
              },
              STREAMED_AT,
            ),
          ),
        );

        expect(outcomes.filter((outcome) => outcome === 'inserted')).toHaveLength(10);
        expect(published.sort()).toEqual(records.map((c) => c.record.photoKey).sort());
        const unstreamed = await first.db
          .selectFrom('coffees')
          .select('photo_key')
          .where('streamed_at', 'is', null)
          .execute();
        expect(unstreamed).toEqual([]);
      });
    });

    describe('markStreamed', () => {
      it('marks the given photos streamed, keeps the first time on a resend and leaves the others alone', async () => {
        const repository = createCoffeeRepository(await openMigrated());
        const [a, b, c] = [coffee(), coffee(), coffee()];
        for (const one of [a, b, c]) await repository.recordCoffee(one);
        const at = new Date('2026-03-02T08:20:00.123Z');

        await repository.markStreamed([a.record.photoKey, b.record.photoKey, a.record.photoKey], at);
        await repository.markStreamed([b.record.photoKey], new Date('2026-03-02T09:00:00.000Z'));
        await repository.markStreamed([], at);

        expect((await repository.findByPhotoKey(a.record.photoKey))?.streamedAt).toBe(at.toISOString());
        expect((await repository.findByPhotoKey(b.record.photoKey))?.streamedAt).toBe(at.toISOString());
        expect((await repository.findByPhotoKey(c.record.photoKey))?.streamedAt).toBeNull();
      });

      it('names photo keys that were never recorded', async () => {
        const repository = createCoffeeRepository(await openMigrated());
        const known = coffee();
        const unknown = coffee();
        await repository.recordCoffee(known);

        const error = await repository
          .markStreamed([known.record.photoKey, unknown.record.photoKey], NOW)
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(UnknownPhotoKeyError);
        expect((error as UnknownPhotoKeyError).photoKeys).toEqual([unknown.record.photoKey]);
        expect((await repository.findByPhotoKey(known.record.photoKey))?.streamedAt).toBe(NOW.toISOString());
      });
    });

    describe('devices', () => {
      it('are created by setDevice before they send anything, changed field by field and listed by name', async () => {
        const database = await openMigrated();
        const devices = createDeviceRepository(database);
        const created = await devices.setDevice(
          'kitchen-pi',
          { owner: 'Zoë Müller', location: '3rd floor ☕' },
          NOW,
        );
        expect(created).toEqual({
          thingName: 'kitchen-pi',
          owner: 'Zoë Müller',
          location: '3rd floor ☕',
          model: null,
          firstSeenAt: null,
          lastSeenAt: null,
          updatedAt: NOW.toISOString(),
        });

        const later = new Date('2026-03-06T08:00:00.000Z');
        expect(await devices.setDevice('kitchen-pi', { model: 'Pi 4B', owner: null }, later)).toEqual({
          ...created,
          owner: null,
          model: 'Pi 4B',
          updatedAt: later.toISOString(),
        });
        await devices.setDevice('Kitchen-pi', { location: 'lobby' }, NOW);
        await devices.setDevice('attic-pi', { location: 'attic' }, NOW);

        expect(await devices.getDevice('kitchen-pi')).toMatchObject({
          owner: null,
          model: 'Pi 4B',
          location: '3rd floor ☕',
        });
        expect(await devices.getDevice('nobody')).toBeNull();
        // Thing names are case-sensitive on both databases, and listed in the same (binary) order.
        expect((await devices.listDevices()).map((device) => device.thingName)).toEqual([
          'Kitchen-pi',
          'attic-pi',
          'kitchen-pi',
        ]);
      });

      it('keep their registry fields when coffees arrive, which set first and last seen', async () => {
        const database = await openMigrated();
        const devices = createDeviceRepository(database);
        await devices.setDevice('coffee-pi-01', { owner: 'Ada' }, NOW);
        await createCoffeeRepository(database, { now: () => NOW }).recordCoffee(coffee());

        expect(await devices.getDevice('coffee-pi-01')).toMatchObject({
          owner: 'Ada',
          firstSeenAt: sampleCoffeeRecord().capturedAt,
          lastSeenAt: sampleCoffeeRecord().capturedAt,
        });
      });

      it('refuse a bad thing name or no change at all, naming the problem, and write nothing', async () => {
        const devices = createDeviceRepository(await openMigrated());
        const attempts: [string, Parameters<typeof devices.setDevice>[1], RegExp][] = [
          ['bad name!', { owner: 'x' }, /thing name must match/],
          ['coffee-pi-01', {}, /give at least one of owner, location, model/],
          ['coffee-pi-01', { owner: undefined }, /give at least one/],
          ['coffee-pi-01', { location: ' ' }, /location must be a non-empty string, or null/],
          ['coffee-pi-01', { model: 'x'.repeat(201) }, /model must be at most 200 characters/],
          ['coffee-pi-01', { colour: 'red' } as never, /unknown field "colour"/],
        ];
        for (const [thing, changes, problem] of attempts) {
          const error = await devices.setDevice(thing, changes, NOW).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(InvalidDeviceChangeError);
          expect(String(error)).toMatch(problem);
        }
        expect(await devices.listDevices()).toEqual([]);
      });
    });

    describe('when the database is unreachable', () => {
      it('recordCoffee fails with DatabaseUnavailableError and writes nothing; the same repository works once it is back', async () => {
        const database = await openMigrated();
        const repository = createCoffeeRepository(database, { now: () => NOW });
        const devices = createDeviceRepository(database);
        // The pool has a connection open when the database goes away.
        await repository.recordCoffee(coffee({ deviceId: 'coffee-pi-09' }));
        const lost = coffee();

        await target.takeDown();
        const error = await repository.recordCoffee(lost).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
        expect((error as Error).cause).toBeDefined();
        await expect(devices.setDevice('coffee-pi-09', { owner: 'Ada' }, NOW)).rejects.toBeInstanceOf(
          DatabaseUnavailableError,
        );

        await target.bringBack();
        expect(await repository.findByPhotoKey(lost.record.photoKey)).toBeNull();
        expect(await devices.getDevice(lost.record.deviceId)).toBeNull();
        expect((await devices.getDevice('coffee-pi-09'))?.owner).toBeNull();
        expect(await repository.recordCoffee(lost)).toBe('inserted');
        expect((await repository.findByPhotoKey(lost.record.photoKey))?.record).toEqual(lost.record);
      });
    });

    it('reads times back exactly as written (no time-zone shift)', async () => {
      const database = await openMigrated();
      await createDeviceRepository(database).setDevice(
        'tz-pi',
        { owner: 'x' },
        new Date('2026-07-01T00:00:00.001Z'),
      );
      const row = await sql<{ updated_at: string }>`select updated_at from devices`.execute(database.db);
      expect(row.rows[0]?.updated_at).toBe('2026-07-01 00:00:00.001');
    });
  });
}
