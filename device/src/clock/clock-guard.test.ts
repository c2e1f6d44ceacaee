import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { captureLogs } from '../testing/capture-logs.js';
import { MemorySpool } from '../testing/memory-spool.js';
import { sampleReading } from '../testing/readings.js';
import { ClockGuard, type ClockGuardOptions } from './clock-guard.js';
import { FakeClockSync } from './fake-clock-sync.js';
import { MemoryClockHoldStore } from './hold-store.js';

const BOOT = '22222222-2222-4222-8222-222222222222';
/** The true time when the test starts; fake time (Date.now()) is the true time throughout. */
const TRUE_START = Date.parse('2026-12-07T06:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The system clock as the Pi sees it: true time + an offset a test steps like NTP or `date -s`
 * would. The monotonic clock is fake time itself: it never steps.
 */
const wall = { offset: 0, now: () => Date.now() + wall.offset };
const monotonic = { now: () => Date.now() - TRUE_START + 5_000 };

describe('ClockGuard', () => {
  let spool: MemorySpool;
  let sync: FakeClockSync;
  let guard: ClockGuard | undefined;
  let releases: number;

  beforeEach(() => {
    vi.useFakeTimers({ now: TRUE_START });
    wall.offset = 0;
    spool = new MemorySpool();
    sync = new FakeClockSync('unsynchronized');
    releases = 0;
  });
  afterEach(async () => {
    await guard?.stop();
    guard = undefined;
    vi.useRealTimers();
  });

  function makeGuard(options: Partial<ClockGuardOptions> = {}): ClockGuard {
    guard = new ClockGuard({
      sync,
      clock: wall,
      monotonic,
      timers: systemTimers,
      logger: silentLogger(),
      lastSeq: () => spool.stats().lastSeq,
      waitSeconds: 600,
      onRelease: () => {
        releases += 1;
      },
      ...options,
    });
    return guard;
  }

  /** What the sampler does each second: stamp with the wall clock, spool, tell the guard. */
  async function sample(g: ClockGuard, seconds: number): Promise<void> {
    for (let i = 0; i < seconds; i += 1) {
      await vi.advanceTimersByTimeAsync(1000);
      spool.append(sampleReading(wall.now()), BOOT);
      g.readingSpooled();
    }
  }

  /** What the publisher would send now: seq and ts, in order. */
  function published(g: ClockGuard): { seq: number; ts: string }[] {
    return g
      .gate(spool)
      .readAfter(0, 10_000)
      .map((row) => {
        const reading = JSON.parse(row.json) as { seq: number; ts: string };
        expect(row.takenAtMs).toBe(Date.parse(reading.ts));
        return { seq: reading.seq, ts: reading.ts };
      });
  }

  /** seq n was taken n seconds after the test began (true time). */
  const trueTs = (seq: number) => new Date(TRUE_START + seq * 1000).toISOString();

  it('holds readings stamped by a stale clock and publishes them with the true time once NTP syncs', async () => {
    wall.offset = -3 * DAY; // booted with the time saved at the last shutdown, three days ago
    const g = makeGuard();
    g.start();
    await sample(g, 30);
    expect(published(g)).toEqual([]);
    expect(g.stats()).toMatchObject({ clockSynchronized: false, heldReadings: 30 });

    wall.offset = 0; // NTP steps the clock…
    sync.state = 'synchronized'; // …and says so
    await vi.advanceTimersByTimeAsync(5_000); // the next check
    const out = published(g);
    expect(out.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(out.map((r) => r.ts)).toEqual(out.map((r) => trueTs(r.seq)));
    expect(g.stats()).toMatchObject({ clockSynchronized: true, heldReadings: 0, restampedReadings: 30 });
    expect(releases).toBe(1);
  });

  it('sees the step at the next reading, before the check, and never lets a reading out stamped by the old clock', async () => {
    wall.offset = -3 * DAY;
    const g = makeGuard({ pollMs: 60_000 });
    g.start();
    await sample(g, 5);
    wall.offset = 0; // NTP steps the clock; the next check is a minute away
    sync.state = 'synchronized';
    await sample(g, 1);
    expect(published(g)).toEqual([]);
    await vi.advanceTimersByTimeAsync(0); // the check the step triggered
    expect(published(g).map((r) => r.ts)).toEqual([1, 2, 3, 4, 5, 6].map(trueTs));
    expect(g.stats().clockSteps).toBe(1);
  });

  it('never publishes a reading from 1970, however long the clock stays unset', async () => {
    wall.offset = -TRUE_START; // no saved time at all: the epoch
    const g = makeGuard({ waitSeconds: 60 });
    g.start();
    sync.state = 'unknown'; // and no systemd to ask
    await sample(g, 600);
    expect(published(g)).toEqual([]);
    expect(g.stats()).toMatchObject({ heldReadings: 600, unsynchronizedReadings: 0 });

    wall.offset = 0; // someone sets the clock (or NTP finally answers)
    await sample(g, 1);
    await vi.advanceTimersByTimeAsync(0);
    const out = published(g);
    expect(out).toHaveLength(601);
    expect(out.filter((r) => r.ts < '2026')).toEqual([]);
    expect(out.map((r) => r.ts)).toEqual(out.map((r) => trueTs(r.seq)));
  });

  it('stops waiting after waitSeconds, counts what went out unsynchronised, and still corrects what is left', async () => {
    const { logger, lines } = captureLogs('info');
    wall.offset = -2 * HOUR; // NTP blocked by a firewall; the saved clock is two hours behind
    const g = makeGuard({ waitSeconds: 60, logger });
    g.start();
    await sample(g, 59);
    expect(published(g)).toEqual([]);
    await sample(g, 6);
    const early = published(g);
    expect(early.length).toBeGreaterThanOrEqual(60);
    expect(early[0]?.ts).toBe(new Date(TRUE_START + 1000 - 2 * HOUR).toISOString());
    expect(g.stats().unsynchronizedReadings).toBeGreaterThanOrEqual(60);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/still not synchronised/) }),
    );

    spool.acknowledge(early.map((r) => r.seq)); // those went out while offline… or not
    await sample(g, 10);
    wall.offset = 0;
    sync.state = 'synchronized';
    await sample(g, 1);
    await vi.advanceTimersByTimeAsync(0);
    const late = published(g);
    expect(late.map((r) => r.ts)).toEqual(late.map((r) => trueTs(r.seq)));
    expect(late.at(-1)?.seq).toBe(76);
  });

  it('holds across a manual step and two clock segments, and restamps each by its own offset', async () => {
    wall.offset = -3 * DAY;
    const g = makeGuard();
    g.start();
    await sample(g, 9);
    wall.offset = -1 * DAY; // `date -s` by hand: still not synchronised, but a different offset
    await sample(g, 10);
    expect(published(g)).toEqual([]);
    wall.offset = 0;
    sync.state = 'synchronized';
    await sample(g, 1);
    await vi.advanceTimersByTimeAsync(0);
    const out = published(g);
    expect(out).toHaveLength(20);
    expect(out.map((r) => r.ts)).toEqual(out.map((r) => trueTs(r.seq)));
  });

  it('follows an NTP step of +1 h and −1 h while synchronised: held only until the check, then published as stamped', async () => {
    sync.state = 'synchronized';
    const g = makeGuard();
    g.start();
    await sample(g, 5);
    expect(published(g)).toHaveLength(5);
    sync.check = vi.fn(() => new Promise<never>(() => {})); // the check hangs…
    wall.offset = HOUR;
    await sample(g, 2);
    expect(published(g).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]); // …so the stepped readings wait
    expect(g.stats().heldReadings).toBe(2);
    await g.stop();

    // A new guard, same situation, with a check that answers: the step was NTP's and is trusted.
    sync = new FakeClockSync('synchronized');
    const h = makeGuard();
    h.start();
    await vi.advanceTimersByTimeAsync(0);
    wall.offset = 0; // stepped back an hour
    await sample(h, 3);
    const out = published(h);
    expect(out.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(out.slice(5, 7).map((r) => r.ts)).toEqual(
      [6, 7].map((n) => new Date(TRUE_START + n * 1000 + HOUR).toISOString()),
    );
    expect(out.slice(7).map((r) => r.ts)).toEqual([8, 9, 10].map(trueTs));
    expect(h.stats()).toMatchObject({ clockSteps: 1, heldReadings: 0, restampedReadings: 0 });
  });

  it('after a restart in the same boot, keeps holding what the earlier run held and restamps it all', async () => {
    const store = new MemoryClockHoldStore();
    wall.offset = -3 * DAY;
    const first = makeGuard({ store, kernelBootId: 'boot-a' });
    first.start();
    await sample(first, 10);
    await first.stop();

    const second = makeGuard({ store, kernelBootId: 'boot-a' });
    second.start();
    await sample(second, 10);
    expect(published(second)).toEqual([]);
    expect(second.stats().heldReadings).toBe(20);
    wall.offset = 0;
    sync.state = 'synchronized';
    await vi.advanceTimersByTimeAsync(5_000);
    const out = published(second);
    expect(out.map((r) => r.ts)).toEqual(out.map((r) => trueTs(r.seq)));
    expect(out).toHaveLength(20);

    second.gate(spool).acknowledge(out.map((r) => r.seq));
    expect(store.record).toBeNull(); // nothing left to remember
  });

  it('after a restart in the same boot once the wait ran out, does not wait again, and restamps what is left at sync', async () => {
    const store = new MemoryClockHoldStore();
    wall.offset = -2 * HOUR;
    const first = makeGuard({ store, kernelBootId: 'boot-a', waitSeconds: 30 });
    first.start();
    await sample(first, 40);
    expect(published(first)).toHaveLength(40);
    await first.stop();

    const second = makeGuard({ store, kernelBootId: 'boot-a', waitSeconds: 30 });
    second.start();
    await sample(second, 5);
    expect(published(second)).toHaveLength(45); // no second wait: a crash loop never goes silent
    wall.offset = 0;
    sync.state = 'synchronized';
    await sample(second, 1);
    await vi.advanceTimersByTimeAsync(0);
    const out = published(second);
    expect(out.map((r) => r.ts)).toEqual(out.map((r) => trueTs(r.seq)));
  });

  it('after a reboot, publishes what the earlier boot held as stamped, counted, and holds the new ones', async () => {
    const store = new MemoryClockHoldStore();
    wall.offset = -3 * DAY;
    const first = makeGuard({ store, kernelBootId: 'boot-a' });
    first.start();
    await sample(first, 10);
    await first.stop();

    const second = makeGuard({ store, kernelBootId: 'boot-b' });
    second.start();
    await sample(second, 5);
    expect(published(second).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(second.stats()).toMatchObject({ unsynchronizedReadings: 10, heldReadings: 5 });
  });

  it('trusts the clock where the system cannot tell, and holds nothing past the first check', async () => {
    sync.state = 'unknown';
    const g = makeGuard();
    g.start();
    await sample(g, 3);
    expect(published(g).map((r) => r.ts)).toEqual([1, 2, 3].map(trueTs));
    expect(g.stats()).toMatchObject({ clockSynchronized: null, heldReadings: 0 });
  });

  it('a check that throws counts as unknown', async () => {
    sync.state = 'synchronized';
    sync.check = () => Promise.reject(new Error('dbus down'));
    const g = makeGuard();
    g.start();
    await sample(g, 2);
    expect(published(g)).toHaveLength(2);
  });

  it('asks every pollMs while unsynchronised, every syncedPollMs after, and stop() leaves no timer', async () => {
    const g = makeGuard({ pollMs: 5_000, syncedPollMs: 60_000 });
    g.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sync.checks).toBe(7);
    sync.state = 'synchronized';
    await vi.advanceTimersByTimeAsync(5_000 + 120_000);
    expect(sync.checks).toBe(10);
    await g.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
