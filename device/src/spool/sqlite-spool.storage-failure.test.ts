import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelemetryReading } from '@coffee-iot/shared';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogs } from '../testing/capture-logs.js';
import { EventNotStoredError, ReadingsNotStoredError } from './spool-errors.js';
import { SqliteSpool } from './sqlite-spool.js';

const BOOT = '0b7c1f4e-2d3a-4c5b-8e9f-112233445566';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const NO_LIMITS = { maxReadings: 0, maxBytes: 0, maxAgeSeconds: 0 };

function reading(i: number): Omit<TelemetryReading, 'seq'> {
  return {
    ts: new Date(T0 + i * 1000).toISOString(),
    temperature: 22.31,
    humidity: 41.5,
    pressure: 1013.25,
    pitch: 1.2,
    roll: 359.4,
    yaw: 182.05,
  };
}

/**
 * The disk is made "full" for real inside SQLite: `max_page_count` at the current size makes
 * the pager refuse the next page with SQLITE_FULL, exactly what it reports on ENOSPC.
 */
function fillDisk(db: Database.Database): void {
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
}

function freeDisk(db: Database.Database): void {
  db.pragma('max_page_count = 1073741823');
}

describe('SqliteSpool when the storage refuses writes', () => {
  let dir: string;
  let path: string;
  let db: Database.Database;
  const opened: SqliteSpool[] = [];
  const openSpool = (logger = captureLogs('info').logger) => {
    const spool = new SqliteSpool({
      path,
      limits: NO_LIMITS,
      logger,
      clock: { now: () => T0 },
      onOpen: (handle) => {
        db = handle;
      },
    });
    opened.push(spool);
    return spool;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffee-iot-spool-full-'));
    path = join(dir, 'spool.sqlite');
  });
  afterEach(() => {
    for (const spool of opened.splice(0)) spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Appends until the first refusal, then `more` refusals; returns the refused seqs. */
  function appendThroughFullDisk(spool: SqliteSpool, start: number, more: number): number[] {
    const refused: number[] = [];
    let i = start;
    while (refused.length === 0 && i < start + 500) {
      try {
        spool.append(reading(i), BOOT);
      } catch (error) {
        expect(error).toBeInstanceOf(ReadingsNotStoredError);
        refused.push((error as ReadingsNotStoredError).fromSeq);
      }
      i += 1;
    }
    for (let n = 0; n < more; n += 1, i += 1) {
      const error = captureError(() => spool.append(reading(i), BOOT));
      expect(error).toBeInstanceOf(ReadingsNotStoredError);
      expect(error).toMatchObject({ storageCause: 'ENOSPC', name: 'ReadingsNotStoredError' });
      refused.push((error as ReadingsNotStoredError).fromSeq);
    }
    return refused;
  }

  it('counts refused readings by cause, uses up their seqs and stores again when space returns', () => {
    const { logger, lines } = captureLogs('info');
    const spool = openSpool(logger);
    spool.appendMany(Array.from({ length: 5 }, (_, i) => ({ reading: reading(i), bootId: BOOT })));
    fillDisk(db);
    const refused = appendThroughFullDisk(spool, 5, 4);
    const first = refused[0] as number;
    expect(refused).toEqual([first, first + 1, first + 2, first + 3, first + 4]);
    expect(spool.stats()).toMatchObject({
      unstored: { ENOSPC: 5, EIO: 0, EROFS: 0, other: 0 },
      failing: { cause: 'ENOSPC', path, sinceMs: T0 },
      lastSeq: first + 4,
    });

    freeDisk(db);
    const after = spool.append(reading(100), BOOT);
    expect(after.seq).toBe(first + 5);
    expect(spool.stats().failing).toBeNull();
    const seqs = spool.readAfter(0, 1000).map((row) => row.seq);
    expect(seqs).not.toContain(first);
    expect(seqs.slice(-2)).toEqual([first - 1, first + 5]);

    // One line when the episode starts (with the path), one when it ends: not one per reading.
    const storageLines = lines.filter((line) => String(line.msg).includes('stored'));
    expect(storageLines.map((line) => line.msg)).toEqual([
      'readings cannot be stored (ENOSPC); counting them until a write succeeds again',
      `5 readings (seq ${first}…${first + 4}) could not be stored: ENOSPC; storing again`,
    ]);
    expect(storageLines[0]).toMatchObject({ path, cause: 'ENOSPC', seq: first });
    expect(storageLines[1]).toMatchObject({ path, count: 5, lostSeqs: [{ from: first, to: first + 4 }] });
  });

  it('keeps the count and the gap across a restart once space has returned', () => {
    const spool = openSpool();
    spool.append(reading(0), BOOT);
    fillDisk(db);
    const refused = appendThroughFullDisk(spool, 1, 2);
    freeDisk(db);
    const after = spool.append(reading(50), BOOT);
    spool.close();
    const reopened = openSpool();
    expect(reopened.stats()).toMatchObject({ unstored: { ENOSPC: refused.length }, lastSeq: after.seq });
    expect(reopened.append(reading(51), BOOT).seq).toBe(after.seq + 1);
  });

  it('after a restart during the episode reuses only seqs that were never stored, never a published one', () => {
    const spool = openSpool();
    const stored = spool.appendMany(
      Array.from({ length: 3 }, (_, i) => ({ reading: reading(i), bootId: BOOT })),
    );
    // Published and acknowledged: gone from the table, remembered only by last_seq.
    spool.acknowledge(stored.map((r) => r.seq));
    fillDisk(db);
    const refused = appendThroughFullDisk(spool, 3, 1);
    const lastStored = (refused[0] as number) - 1;
    spool.close();

    const reopened = openSpool();
    const next = reopened.append(reading(99), BOOT);
    expect(next.seq).toBe(lastStored + 1);
    expect(next.seq).toBeGreaterThan(3);
  });

  it('reports a read-only database as EROFS', () => {
    const { logger, lines } = captureLogs('info');
    const spool = openSpool(logger);
    db.pragma('query_only = 1');
    const error = captureError(() => spool.append(reading(0), BOOT));
    expect(error).toMatchObject({ storageCause: 'EROFS', fromSeq: 1, toSeq: 1 });
    expect(spool.stats().unstored).toEqual({ ENOSPC: 0, EIO: 0, EROFS: 1, other: 0 });
    db.pragma('query_only = 0');
    expect(spool.append(reading(1), BOOT).seq).toBe(2);
    expect(lines.at(-1)?.msg).toBe('1 readings (seq 1) could not be stored: EROFS; storing again');
  });

  it('refuses a coffee event on a full disk with its cause, and stores events again afterwards', () => {
    const spool = openSpool();
    fillDisk(db);
    let error: unknown;
    // A page may still have room for a row or two: write until the disk is really full.
    for (let i = 0; i < 500 && !error; i += 1) {
      try {
        spool.coffeeEvents.append(`{"n":${i},"pad":"${'x'.repeat(400)}"}`, T0, BOOT);
      } catch (refused) {
        error = refused;
      }
    }
    expect(error).toBeInstanceOf(EventNotStoredError);
    expect(error).toMatchObject({ storageCause: 'ENOSPC' });
    const fallback = `{"fallback":true,"pad":"${'x'.repeat(400)}"}`;
    expect(() => spool.coffeeEvents.reserve(fallback, T0, BOOT, 'e-1')).toThrow(EventNotStoredError);
    freeDisk(db);
    expect(spool.coffeeEvents.append('{"ok":true}', T0, BOOT)).toBeGreaterThan(0);
  });

  it('publishes nothing reserved until replaced, and releases what a crash left reserved at the next start', () => {
    const spool = openSpool();
    const kept = spool.coffeeEvents.reserve('{"press":1,"outcome":"camera_failed"}', T0, BOOT, 'e-1');
    spool.coffeeEvents.reserve('{"press":2,"outcome":"camera_failed"}', T0, BOOT, 'e-2');
    expect(spool.coffeeEvents.readAfter(0, 10)).toEqual([]);
    spool.coffeeEvents.append('{"press":1,"outcome":"captured"}', T0, BOOT, { replaces: kept });
    expect(spool.coffeeEvents.readAfter(0, 10).map((row) => row.json)).toEqual([
      '{"press":1,"outcome":"captured"}',
    ]);
    spool.close();

    const reopened = openSpool();
    expect(reopened.coffeeEvents.readAfter(0, 10).map((row) => row.json)).toEqual([
      '{"press":2,"outcome":"camera_failed"}',
      '{"press":1,"outcome":"captured"}',
    ]);
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
