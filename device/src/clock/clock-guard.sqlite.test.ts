import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { SqliteSpool } from '../spool/sqlite-spool.js';
import { sampleReading } from '../testing/readings.js';
import { ClockGuard } from './clock-guard.js';
import { FakeClockSync } from './fake-clock-sync.js';
import { FileClockHoldStore } from './hold-store.js';

const TRUE_START = Date.parse('2026-12-07T06:00:00.000Z');
const wall = { offset: 0, now: () => Date.now() + wall.offset };
const monotonic = { now: () => Date.now() - TRUE_START };

/** The real spool and the real hold file, across a restart of the agent before the clock syncs. */
describe('ClockGuard over the SQLite spool and the hold file', () => {
  let dir: string;
  beforeEach(() => {
    vi.useFakeTimers({ now: TRUE_START });
    dir = mkdtempSync(join(tmpdir(), 'clock-guard-'));
    wall.offset = -2 * 86_400_000;
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  function run(sync: FakeClockSync, maxAgeSeconds = 0) {
    const spool = new SqliteSpool({
      path: join(dir, 'spool.sqlite'),
      limits: { maxReadings: 0, maxBytes: 0, maxAgeSeconds },
      logger: silentLogger(),
      clock: wall,
    });
    const guard = new ClockGuard({
      sync,
      clock: wall,
      monotonic,
      timers: systemTimers,
      logger: silentLogger(),
      lastSeq: () => spool.stats().lastSeq,
      waitSeconds: 900,
      store: new FileClockHoldStore(join(dir, 'clock-hold.json')),
      kernelBootId: 'boot-a',
    });
    spool.exemptFromAgeExpiry(() => guard.oldestUntrustedSeq());
    guard.start();
    const sample = async (seconds: number) => {
      for (let i = 0; i < seconds; i += 1) {
        await vi.advanceTimersByTimeAsync(1000);
        spool.append(sampleReading(wall.now()), 'agent-run');
        guard.readingSpooled();
      }
    };
    return { spool, guard, sample, view: guard.gate(spool) };
  }

  it('holds through a restart and publishes every reading with its true time after the sync', async () => {
    const sync = new FakeClockSync('unsynchronized');
    const before = run(sync);
    await before.sample(20);
    expect(before.view.readAfter(0, 100)).toEqual([]);
    await before.guard.stop();
    before.spool.close();

    const after = run(sync);
    await after.sample(10);
    expect(after.view.readAfter(0, 100)).toEqual([]);
    wall.offset = 0;
    sync.state = 'synchronized';
    await vi.advanceTimersByTimeAsync(5_000);
    const rows = after.view.readAfter(0, 100);
    expect(rows.map((row) => JSON.parse(row.json).ts)).toEqual(
      rows.map((row) => new Date(TRUE_START + row.seq * 1000).toISOString()),
    );
    expect(rows).toHaveLength(30);
    after.view.acknowledge(rows.map((row) => row.seq));
    expect(new FileClockHoldStore(join(dir, 'clock-hold.json')).load()).toBeNull();
    await after.guard.stop();
    after.spool.close();
  });

  it('keeps held readings that a stale clock makes look older than the spool keeps readings', async () => {
    // A Pi that kept its clock from a fortnight ago: the spool keeps a week (maxAgeHours 168).
    // When NTP steps the clock forward, every held reading looks 14 days old; the age cap must
    // not drop them before the guard has corrected their time.
    wall.offset = -14 * 86_400_000;
    const sync = new FakeClockSync('unsynchronized');
    const { spool, guard, sample, view } = run(sync, 168 * 3600);
    await sample(10);
    wall.offset = 0;
    sync.state = 'synchronized';
    await sample(1); // the first reading after the step: the spool applies its caps here
    await vi.advanceTimersByTimeAsync(5_000);

    expect(spool.stats().dropped).toBe(0);
    const rows = view.readAfter(0, 100);
    expect(rows).toHaveLength(11);
    expect(rows.map((row) => JSON.parse(row.json).ts)).toEqual(
      rows.map((row) => new Date(TRUE_START + row.seq * 1000).toISOString()),
    );
    // Once published and acknowledged, the age cap applies again as usual.
    view.acknowledge(rows.map((row) => row.seq));
    expect(guard.oldestUntrustedSeq()).toBeNull();
    await guard.stop();
    spool.close();
  });
});
