import { UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoffeeDatabase } from '../db/coffee-database.js';
import type { CoffeeRepository } from '../db/coffee-repository.js';
import { createDeviceRepository, type DeviceRepository } from '../db/device-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { createCoffeeRepository } from '../db/sql-coffee-repository.js';
import { openSqliteDatabase } from '../db/sqlite-database.js';
import { sampleCoffeeRecord } from '../testing/coffee-fixtures.js';
import { LATEST_COFFEES, readDashboardSnapshot } from './snapshot.js';

const NOW = new Date('2026-03-02T12:00:00.000Z');

describe('readDashboardSnapshot', () => {
  let database: CoffeeDatabase;
  let coffees: CoffeeRepository;
  let devices: DeviceRepository;

  beforeEach(async () => {
    database = openSqliteDatabase(':memory:');
    await migrateToLatest(database.db);
    coffees = createCoffeeRepository(database, { now: () => NOW });
    devices = createDeviceRepository(database);
  });
  afterEach(async () => {
    await database.close();
  });

  const snapshot = () => readDashboardSnapshot({ database, devices, now: () => NOW });

  it('is the local dashboard’s shape with nothing recorded yet', async () => {
    expect(await snapshot()).toEqual({
      generatedAt: '2026-03-02T12:00:00.000Z',
      telemetryWindowMs: 3_600_000,
      telemetryStepMs: 10_000,
      devices: [],
      telemetry: {},
      stats: expect.objectContaining({ perDevice: [], cupsPerDay: [] }),
      coffees: [],
    });
  });

  it('lists the newest coffees with a link to each photo, and none for a photo that is gone', async () => {
    const older = sampleCoffeeRecord({ capturedAt: '2026-03-02T08:00:00.000Z' });
    const gone = sampleCoffeeRecord({
      capturedAt: '2026-03-02T09:00:00.000Z',
      status: 'missing',
      reason: 'object no longer exists',
      analyzer: null,
      ...UNKNOWN_FACE_ATTRIBUTES,
    });
    await coffees.recordCoffee({ record: older, faceDetails: null });
    await coffees.recordCoffee({ record: gone, faceDetails: null });

    const { coffees: listed, stats } = await snapshot();

    expect(listed.map((coffee) => [coffee.photoKey, coffee.photoUrl])).toEqual([
      [gone.photoKey, null],
      [older.photoKey, `/api/photos/${older.photoKey}`],
    ]);
    const { v: _v, type: _type, ...olderView } = older;
    expect(listed[1]).toEqual({ ...olderView, photoUrl: `/api/photos/${older.photoKey}` });
    expect(stats.overall.cups).toBe(2);
    expect(stats).not.toHaveProperty('latest');
  });

  it(`lists at most ${LATEST_COFFEES} coffees but counts them all`, async () => {
    for (let minute = 0; minute < LATEST_COFFEES + 3; minute += 1) {
      const capturedAt = new Date(Date.UTC(2026, 2, 2, 7, minute)).toISOString();
      await coffees.recordCoffee({ record: sampleCoffeeRecord({ capturedAt }), faceDetails: null });
    }
    const result = await snapshot();
    expect(result.coffees).toHaveLength(LATEST_COFFEES);
    expect(result.stats.overall.cups).toBe(LATEST_COFFEES + 3);
  });

  it('shows registered devices with their registry fields and last photo, never as online', async () => {
    await devices.setDevice('coffee-pi-02', { owner: 'Ada', location: 'kitchen' }, NOW);
    await coffees.recordCoffee({
      record: sampleCoffeeRecord({ deviceId: 'coffee-pi-01', capturedAt: '2026-03-02T08:15:30.250Z' }),
      faceDetails: null,
    });

    expect((await snapshot()).devices).toEqual([
      {
        deviceId: 'coffee-pi-01',
        online: false,
        lastSeenAt: '2026-03-02T08:15:30.250Z',
        spoolDepth: null,
        droppedReadings: null,
        outboxDepth: null,
        outboxDropped: null,
        owner: null,
        location: null,
      },
      {
        deviceId: 'coffee-pi-02',
        online: false,
        lastSeenAt: null,
        spoolDepth: null,
        droppedReadings: null,
        outboxDepth: null,
        outboxDropped: null,
        owner: 'Ada',
        location: 'kitchen',
      },
    ]);
  });
});
