import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { SqliteSpool } from './sqlite-spool.js';

const BOOT = '11111111-1111-4111-8111-111111111111';
const NO_LIMITS = { maxReadings: 0, maxBytes: 0, maxAgeSeconds: 0 };

describe('SqliteEventQueue (coffee events in the spool file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffee-iot-events-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (maxEvents?: number) =>
    new SqliteSpool({
      path: join(dir, 'spool.sqlite'),
      limits: NO_LIMITS,
      logger: silentLogger(),
      ...(maxEvents ? { maxEvents } : {}),
    });

  it('keeps events across a reopen, oldest first, until acknowledged', () => {
    const spool = open();
    const first = spool.coffeeEvents.append('{"n":1}', 1000, BOOT);
    const second = spool.coffeeEvents.append('{"n":2}', 2000, BOOT);
    spool.close();

    const reopened = open();
    expect(reopened.coffeeEvents.readAfter(0, 10).map((row) => [row.seq, row.json])).toEqual([
      [first, '{"n":1}'],
      [second, '{"n":2}'],
    ]);
    reopened.coffeeEvents.acknowledge([first]);
    expect(reopened.coffeeEvents.stats()).toEqual({ depth: 1, oldestCreatedAtMs: 2000, dropped: 0 });
    // Ids are never reused, so an acknowledged id cannot be confused with a new event.
    expect(reopened.coffeeEvents.append('{"n":3}', 3000, BOOT)).toBeGreaterThan(second);
    reopened.close();
  });

  it('drops the oldest over the cap and counts them persistently', () => {
    const spool = open(3);
    for (let n = 1; n <= 5; n += 1) spool.coffeeEvents.append(`{"n":${n}}`, n, BOOT);
    expect(spool.coffeeEvents.readAfter(0, 10).map((row) => row.json)).toEqual([
      '{"n":3}',
      '{"n":4}',
      '{"n":5}',
    ]);
    spool.close();
    expect(open(3).coffeeEvents.stats().dropped).toBe(2);
  });

  it('upgrades a version-1 spool without touching its readings', () => {
    const path = join(dir, 'spool.sqlite');
    const v1 = open();
    v1.append(
      {
        ts: '2026-11-26T10:00:00.000Z',
        temperature: 21,
        humidity: 40,
        pressure: 1013,
        pitch: 0,
        roll: 0,
        yaw: 0,
      },
      BOOT,
    );
    v1.close();
    // Turn the file back into what a part-1 agent wrote.
    const raw = new Database(path);
    raw.exec("DROP TABLE events; DELETE FROM meta WHERE key = 'events_dropped'");
    raw.pragma('user_version = 1');
    raw.close();

    const upgraded = open();
    expect(upgraded.stats().depth).toBe(1);
    upgraded.coffeeEvents.append('{}', 1, BOOT);
    expect(upgraded.coffeeEvents.stats().depth).toBe(1);
    upgraded.close();
  });
});
