import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelemetryReading } from '@coffee-iot/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { captureLogs } from '../testing/capture-logs.js';
import {
  SpoolClosedError,
  SpoolConfigError,
  SpoolCorruptError,
  SpoolVersionError,
  SpoolWriteError,
} from './spool-errors.js';
import type { SpoolLimits } from './spool-port.js';
import { type SpoolAppend, SqliteSpool } from './sqlite-spool.js';

const BOOT = '0b7c1f4e-2d3a-4c5b-8e9f-112233445566';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const NO_LIMITS: SpoolLimits = { maxReadings: 0, maxBytes: 0, maxAgeSeconds: 0 };

function reading(atMs: number): Omit<TelemetryReading, 'seq'> {
  return {
    ts: new Date(atMs).toISOString(),
    temperature: 22.31,
    humidity: 41.5,
    pressure: 1013.25,
    pitch: 1.2,
    roll: 359.4,
    yaw: 182.05,
  };
}

function readings(count: number, fromMs = T0): SpoolAppend[] {
  return Array.from({ length: count }, (_, i) => ({ reading: reading(fromMs + i * 1000), bootId: BOOT }));
}

describe('SqliteSpool', () => {
  let dir: string;
  let path: string;
  const open: SqliteSpool[] = [];
  const openSpool = (
    limits = NO_LIMITS,
    extra: Partial<ConstructorParameters<typeof SqliteSpool>[0]> = {},
  ) => {
    const spool = new SqliteSpool({ path, limits, logger: silentLogger(), ...extra });
    open.push(spool);
    return spool;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coffee-iot-spool-'));
    path = join(dir, 'state', 'spool.sqlite');
  });
  afterEach(() => {
    for (const spool of open.splice(0)) spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers readings from 1 and stores their JSON verbatim with boot id and time', () => {
    const spool = openSpool();
    const stored = spool.append(reading(T0), BOOT);
    expect(stored.seq).toBe(1);
    expect(spool.append(reading(T0 + 1000), BOOT).seq).toBe(2);
    const [first] = spool.readAfter(0, 10);
    expect(first).toEqual({ seq: 1, takenAtMs: T0, bootId: BOOT, json: JSON.stringify(stored) });
    expect(Object.keys(JSON.parse(first?.json ?? '{}'))[0]).toBe('seq');
  });

  it('reads in seq order after a cursor, at most `limit`', () => {
    const spool = openSpool();
    spool.appendMany(readings(10));
    expect(spool.readAfter(3, 4).map((row) => row.seq)).toEqual([4, 5, 6, 7]);
    expect(spool.readAfter(10, 5)).toEqual([]);
    expect(spool.readAfter(0, 0)).toEqual([]);
  });

  it('keeps seq monotonic across close and reopen, even when everything was acknowledged', () => {
    const first = openSpool();
    first.appendMany(readings(5));
    first.acknowledge([1, 2, 3, 4, 5]);
    expect(first.stats().depth).toBe(0);
    first.close();

    const second = openSpool();
    expect(second.stats().lastSeq).toBe(5);
    expect(second.append(reading(T0), BOOT).seq).toBe(6);
  });

  it('acknowledge deletes the given seqs and ignores unknown ones', () => {
    const spool = openSpool();
    spool.appendMany(readings(5));
    spool.acknowledge([2, 4, 99]);
    expect(spool.readAfter(0, 10).map((row) => row.seq)).toEqual([1, 3, 5]);
    spool.acknowledge([]);
    expect(spool.stats().depth).toBe(3);
  });

  it('reports depth, bytes, oldest reading, dropped and lastSeq, also after reopening', () => {
    const spool = openSpool();
    const stored = spool.appendMany(readings(3));
    spool.acknowledge([1]);
    const bytes = stored.slice(1).reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0);
    const expected = {
      depth: 2,
      bytes,
      oldestTakenAtMs: T0 + 1000,
      dropped: 0,
      lastSeq: 3,
      unstored: { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 },
      failing: null,
    };
    expect(spool.stats()).toEqual(expected);
    spool.close();
    expect(openSpool().stats()).toEqual(expected);
  });

  it('reports an empty spool with no oldest reading', () => {
    expect(openSpool().stats()).toEqual({
      depth: 0,
      bytes: 0,
      oldestTakenAtMs: null,
      dropped: 0,
      lastSeq: 0,
      unstored: { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 },
      failing: null,
    });
  });

  it('drops the oldest readings over maxReadings, counts them, persists the count and logs the range', () => {
    const { logger, lines } = captureLogs('warn');
    const spool = openSpool({ ...NO_LIMITS, maxReadings: 3 }, { logger });
    spool.appendMany(readings(5));
    expect(spool.readAfter(0, 10).map((row) => row.seq)).toEqual([3, 4, 5]);
    spool.append(reading(T0 + 5000), BOOT);
    expect(spool.readAfter(0, 10).map((row) => row.seq)).toEqual([4, 5, 6]);
    expect(spool.stats()).toMatchObject({ depth: 3, dropped: 3 });
    expect(lines.filter((line) => line.msg === 'spool limit reached: dropped oldest readings')).toEqual([
      expect.objectContaining({ count: 2, fromSeq: 1, toSeq: 2, reasons: ['maxReadings'], totalDropped: 2 }),
      expect.objectContaining({ count: 1, fromSeq: 3, toSeq: 3, totalDropped: 3 }),
    ]);
    spool.close();
    expect(openSpool().stats().dropped).toBe(3);
  });

  it('drops the oldest readings over maxBytes', () => {
    const sample = JSON.stringify({ seq: 1, ...reading(T0) });
    // Room for four readings, not five (seq 10 is one byte longer, hence the slack).
    const spool = openSpool({ ...NO_LIMITS, maxBytes: sample.length * 4 + 2 });
    spool.appendMany(readings(10));
    expect(spool.readAfter(0, 20).map((row) => row.seq)).toEqual([7, 8, 9, 10]);
    expect(spool.stats().bytes).toBeLessThanOrEqual(sample.length * 4 + 2);
    expect(spool.stats().dropped).toBe(6);
  });

  it('expires readings older than maxAgeSeconds by the injected clock', () => {
    let now = T0 + 10_000;
    const spool = openSpool({ ...NO_LIMITS, maxAgeSeconds: 60 }, { clock: { now: () => now } });
    spool.appendMany(readings(10)); // T0 … T0+9 s
    expect(spool.enforceLimits()).toBe(0);
    now = T0 + 64_500; // cutoff T0+4.5 s
    expect(spool.enforceLimits()).toBe(5);
    expect(spool.readAfter(0, 20).map((row) => row.seq)).toEqual([6, 7, 8, 9, 10]);
    now = T0 + 3_600_000;
    spool.append(reading(now), BOOT);
    expect(spool.readAfter(0, 20).map((row) => row.seq)).toEqual([11]);
    expect(spool.stats()).toMatchObject({ dropped: 10, depth: 1, oldestTakenAtMs: now });
  });

  it('does not expire, by age, readings from the seq the clock cannot vouch for; the count cap still applies', () => {
    let now = T0 + 10_000;
    const spool = openSpool(
      { ...NO_LIMITS, maxReadings: 8, maxAgeSeconds: 60 },
      { clock: { now: () => now } },
    );
    let exemptFrom: number | null = 4;
    spool.exemptFromAgeExpiry(() => exemptFrom);
    spool.appendMany(readings(6)); // seqs 1-6, T0 … T0+5 s
    now = T0 + 3_600_000; // every one is an hour old by the clock
    expect(spool.enforceLimits()).toBe(3);
    expect(spool.readAfter(0, 20).map((row) => row.seq)).toEqual([4, 5, 6]);
    spool.appendMany(readings(6)); // seqs 7-12: over the 8-reading cap
    expect(spool.readAfter(0, 20).map((row) => row.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    exemptFrom = null;
    expect(spool.enforceLimits()).toBe(8);
  });

  it('rejects a reading without a valid ts and consumes no seq', () => {
    const spool = openSpool();
    expect(() => spool.append({ ...reading(T0), ts: 'yesterday' }, BOOT)).toThrow(SpoolWriteError);
    expect(spool.append(reading(T0), BOOT).seq).toBe(1);
  });

  it('refuses use after close', () => {
    const spool = openSpool();
    spool.close();
    spool.close();
    expect(() => spool.append(reading(T0), BOOT)).toThrow(SpoolClosedError);
    expect(() => spool.stats()).toThrow(SpoolClosedError);
  });

  it('rejects nonsensical limits, naming each', () => {
    expect(() => openSpool({ maxReadings: -1, maxBytes: 1.5, maxAgeSeconds: 0 })).toThrow(
      /maxReadings must be an integer ≥ 0.*maxBytes must be an integer ≥ 0/,
    );
    expect(() => openSpool({ ...NO_LIMITS, maxAgeSeconds: Number.NaN })).toThrow(SpoolConfigError);
  });

  it('reports a corrupt file with a named error and leaves it untouched', () => {
    openSpool().close();
    const garbage = Buffer.alloc(8192, 0x5a);
    writeFileSync(path, garbage);
    rmSync(`${path}-wal`, { force: true });
    expect(() => openSpool()).toThrow(SpoolCorruptError);
    expect(() => openSpool()).toThrow(/unreadable.*left untouched/);
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it('refuses a spool written by a newer schema, and a database that is not a spool', () => {
    openSpool().close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openSpool()).toThrow(SpoolVersionError);

    const other = join(dir, 'other.sqlite');
    const foreign = new Database(other);
    foreign.exec('CREATE TABLE coffees (id INTEGER)');
    foreign.close();
    expect(() => openSpool(NO_LIMITS, { path: other })).toThrow(/not a coffee-iot spool/);
  });

  it('stores, reads and acknowledges a day of readings (86,400) well within 10 s', () => {
    const spool = openSpool();
    const started = performance.now();
    spool.appendMany(readings(86_400));
    const appended = performance.now();
    let cursor = 0;
    let seen = 0;
    for (;;) {
      const rows = spool.readAfter(cursor, 500);
      if (rows.length === 0) break;
      seen += rows.length;
      cursor = rows.at(-1)?.seq ?? cursor;
      spool.acknowledge(rows.map((row) => row.seq));
    }
    const done = performance.now();
    expect(seen).toBe(86_400);
    expect(spool.stats()).toMatchObject({ depth: 0, bytes: 0, lastSeq: 86_400 });
    expect(done - started).toBeLessThan(10_000);
    console.info(
      `spool: 86,400 appends ${Math.round(appended - started)} ms, read+ack in 500s ${Math.round(done - appended)} ms`,
    );
  });
});
