import type { TelemetryReading } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { delay, systemTimers, type Timers } from './ports/clock.js';
import { silentLogger } from './ports/logger.js';
import { Sampler, type SamplerOptions } from './sampler.js';
import { MockSensors } from './sensors/mock-sensors.js';
import { SensorReadError, type SensorReader, type SensorSample } from './sensors/sensor-port.js';
import { SpoolWriteError } from './spool/spool-errors.js';
import { captureLogs } from './testing/capture-logs.js';
import { MemorySpool } from './testing/memory-spool.js';

const BOOT = '0b7c1f4e-2d3a-4c5b-8e9f-112233445566';
const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const SAMPLE: SensorSample = {
  temperature: 31.84159,
  humidity: 35.22912,
  pressure: 1013.42771,
  pitch: 359.29297,
  roll: 1.069431,
  yaw: 359.9991,
  accel: { x: -0.012_345, y: 0.018_76, z: 0.996_14 },
  gyro: { x: 0.002_149, y: -0.001_31, z: -0.000_01 },
  compass: { x: 12.8449, y: -21.0712, z: -43.5533 },
};

/** Wall clock = fake time + an offset the test can jump, like an NTP step. */
const wallClock = { offset: 0, now: () => Date.now() + wallClock.offset };

/** Sensors whose n-th read (1-based) takes durationMs(n) of fake time; records when each read began. */
function timedSensors(durationMs: (n: number) => number = () => 0) {
  const startedAt: number[] = [];
  const sensors: SensorReader = {
    name: 'timed',
    async read() {
      startedAt.push(wallClock.now());
      const ms = durationMs(startedAt.length);
      if (ms > 0) await delay(systemTimers, ms);
      return SAMPLE;
    },
    async close() {},
  };
  return { sensors, startedAt };
}

describe('Sampler', () => {
  let sampler: Sampler | undefined;
  const makeSampler = (options: Partial<SamplerOptions> & Pick<SamplerOptions, 'sensors'>) => {
    sampler = new Sampler({
      spool: new MemorySpool(),
      bootId: BOOT,
      logger: silentLogger(),
      clock: wallClock,
      monotonic: { now: () => Date.now() }, // fake time never steps; the wall clock does
      timers: systemTimers,
      ...options,
    });
    return sampler;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(BASE + 337);
    wallClock.offset = 0;
  });
  afterEach(async () => {
    // A read still in progress waits on fake time: let it finish so stop() can resolve.
    const stopping = sampler?.stop();
    await vi.runOnlyPendingTimersAsync();
    await stopping;
    sampler = undefined;
    vi.useRealTimers();
  });

  it('stays on the wall-clock grid for a whole day although every read takes 37 ms', async () => {
    const { sensors, startedAt } = timedSensors(() => 37);
    const spool = new MemorySpool();
    const s = makeSampler({ sensors, spool });
    s.start();
    for (let hour = 0; hour < 24; hour++) await vi.advanceTimersByTimeAsync(3_600_000);
    await vi.advanceTimersByTimeAsync(1000);

    expect(startedAt.length).toBeGreaterThanOrEqual(86_400);
    const offGrid = startedAt.filter((t, i) => t !== BASE + (i + 1) * 1000);
    expect(offGrid).toEqual([]);
    expect(s.stats()).toMatchObject({ skippedTicks: 0, sensorErrors: 0, spoolErrors: 0 });
    expect(spool.stats().lastSeq).toBe(s.stats().readings);
  }, 60_000);

  it('moves to a new interval at run time on the new grid, at once and without two readings in a slot', async () => {
    const { sensors, startedAt } = timedSensors(() => 37);
    const s = makeSampler({ sensors, intervalMs: 1000 });
    s.start();
    await vi.advanceTimersByTimeAsync(2500); // readings at +1 s and +2 s; now +2.837 s
    s.setIntervalMs(5000); // longer: the pending +3 s tick moves to the next 5 s slot
    await vi.advanceTimersByTimeAsync(7300); // now +10.137 s
    s.setIntervalMs(250); // shorter: the pending +15 s tick comes forward to +10.25 s
    await vi.advanceTimersByTimeAsync(300);
    expect(startedAt.map((t) => t - BASE)).toEqual([1000, 2000, 5000, 10_000, 10_250]);
    expect(() => s.setIntervalMs(0)).toThrow(/intervalMs must be a positive integer/);
    expect(s.stats().skippedTicks).toBe(0);
  });

  it('builds the reading with contract field names, ISO ts, rounding and CPU/ambient temperatures', async () => {
    const spool = new MemorySpool();
    const s = makeSampler({
      sensors: timedSensors().sensors,
      spool,
      cpuTemperature: { read: async () => 48.3125 },
    });
    const seen: TelemetryReading[] = [];
    s.onReading((reading) => seen.push(reading));
    s.start();
    await vi.advanceTimersByTimeAsync(700);

    expect(seen).toEqual([
      {
        seq: 1,
        ts: '2026-03-01T00:00:01.000Z',
        temperature: 31.84,
        humidity: 35.23,
        pressure: 1013.43,
        pitch: 359.29,
        roll: 1.07,
        yaw: 0,
        temperatureCpu: 48.31,
        temperatureAmbient: 20.86,
        accelX: -0.0123,
        accelY: 0.0188,
        accelZ: 0.9961,
        gyroX: 0.0021,
        gyroY: -0.0013,
        gyroZ: 0,
        magX: 12.84,
        magY: -21.07,
        magZ: -43.55,
      },
    ]);
    expect(JSON.parse(spool.readAfter(0, 1)[0]?.json ?? '{}')).toEqual(seen[0]);
  });

  it('leaves CPU and ambient temperature out when they are unknown, and logs a CPU read failure', async () => {
    const { logger, lines } = captureLogs('info');
    let cpu: () => Promise<number | null> = async () => null;
    const seen: TelemetryReading[] = [];
    const s = makeSampler({ sensors: timedSensors().sensors, logger, cpuTemperature: { read: () => cpu() } });
    s.onReading((reading) => seen.push(reading));
    s.start();
    await vi.advanceTimersByTimeAsync(1000);
    cpu = async () => {
      throw new Error('EACCES');
    };
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toHaveLength(2);
    for (const reading of seen) {
      expect(reading).not.toHaveProperty('temperatureCpu');
      expect(reading).not.toHaveProperty('temperatureAmbient');
    }
    expect(lines.map((line) => line.msg)).toContain('CPU temperature read failed');
  });

  it('skips and counts the slots a slow read overran, instead of bursting to catch up', async () => {
    const { logger, lines } = captureLogs('info');
    const { sensors, startedAt } = timedSensors((n) => (n === 2 ? 2500 : 10));
    const s = makeSampler({ sensors, logger });
    s.start();
    await vi.advanceTimersByTimeAsync(6_500);
    expect(startedAt.map((t) => t - BASE)).toEqual([1000, 2000, 5000, 6000]);
    expect(s.stats()).toMatchObject({ readings: 4, skippedTicks: 2 });
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, skipped: 2 }));
  });

  it('follows a forward clock jump with one tick per interval, no burst', async () => {
    const { sensors, startedAt } = timedSensors();
    const s = makeSampler({ sensors });
    s.start();
    await vi.advanceTimersByTimeAsync(1_000); // tick at +1000
    wallClock.offset = 3_600_000 + 250; // NTP steps the clock an hour (and a bit) forward
    await vi.advanceTimersByTimeAsync(5_000);
    expect(startedAt).toHaveLength(6);
    expect(startedAt.slice(2).map((t) => (t - BASE) % 1000)).toEqual([0, 0, 0, 0]);
    expect(s.stats().skippedTicks).toBe(0); // a step renames the time; no reading was missed
  });

  it('follows a backward clock jump at once, without pausing until the old time returns', async () => {
    const { sensors, startedAt } = timedSensors();
    const s = makeSampler({ sensors });
    s.start();
    await vi.advanceTimersByTimeAsync(1_000);
    wallClock.offset = -3_600_000;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(startedAt).toHaveLength(6);
    expect(startedAt.at(-1)).toBe(BASE + 6000 - 3_600_000);
    expect(s.stats().skippedTicks).toBe(0);
  });

  describe('across wall-clock steps (NTP step, manual date)', () => {
    /** Sensors that record the true (fake-timer) time and the wall time of every read. */
    function steppedSensors(readMs = 0) {
      const reads: { real: number; wall: number }[] = [];
      const sensors: SensorReader = {
        name: 'stepped',
        async read() {
          reads.push({ real: Date.now(), wall: wallClock.now() });
          if (readMs > 0) await delay(systemTimers, readMs);
          return SAMPLE;
        },
        async close() {},
      };
      return { sensors, reads };
    }
    /** Real time between consecutive reads: never two in one interval, never a stall. */
    const gaps = (reads: { real: number }[]) =>
      reads.slice(1).map((read, i) => read.real - (reads[i]?.real ?? 0));
    const seqsOf = (spool: MemorySpool) =>
      spool.readAfter(0, 100_000).map((row) => (JSON.parse(row.json) as TelemetryReading).seq);

    it('a step of −1 h in the middle of a read neither stalls for an hour nor samples twice', async () => {
      const { sensors, reads } = steppedSensors(300);
      const spool = new MemorySpool();
      const s = makeSampler({ sensors, spool });
      s.start();
      await vi.advanceTimersByTimeAsync(1_100); // the first read (+1000 … +1300) is under way
      wallClock.offset = -3_600_000;
      await vi.advanceTimersByTimeAsync(10_000);
      expect(reads).toHaveLength(11);
      expect(gaps(reads).every((gap) => gap >= 999 && gap <= 1_001)).toBe(true);
      expect(reads.slice(1).map((read) => read.wall % 1000)).toEqual(Array(10).fill(0)); // back on the grid
      expect(seqsOf(spool)).toEqual(Array.from({ length: reads.length }, (_, i) => i + 1));
    });

    it('+1 h then −1 h (a manual step, then NTP correcting it): one read per real second throughout', async () => {
      const { sensors, reads } = steppedSensors(20);
      const spool = new MemorySpool();
      const s = makeSampler({ sensors, spool });
      s.start();
      await vi.advanceTimersByTimeAsync(5_000);
      wallClock.offset = 3_600_000;
      await vi.advanceTimersByTimeAsync(5_000);
      wallClock.offset = 0;
      await vi.advanceTimersByTimeAsync(5_000);
      expect(reads).toHaveLength(15);
      expect(gaps(reads).every((gap) => gap >= 999 && gap <= 1_001)).toBe(true);
      expect(seqsOf(spool)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    });

    it('a sub-second step back (NTP stepping 0.5 s) does not read twice in one slot', async () => {
      const { sensors, reads } = steppedSensors();
      const s = makeSampler({ sensors });
      s.start();
      await vi.advanceTimersByTimeAsync(3_000);
      wallClock.offset = -500;
      await vi.advanceTimersByTimeAsync(5_000);
      const slots = reads.map((read) => Math.floor(read.wall / 1000));
      expect(new Set(slots).size).toBe(slots.length);
      expect(gaps(reads).every((gap) => gap >= 999)).toBe(true);
    });

    it('a step to 1970 keeps sampling each second with seq still rising (the clock guard holds those readings)', async () => {
      const { sensors, reads } = steppedSensors();
      const spool = new MemorySpool();
      const s = makeSampler({ sensors, spool });
      s.start();
      await vi.advanceTimersByTimeAsync(3_000);
      wallClock.offset = -BASE;
      await vi.advanceTimersByTimeAsync(3_000);
      expect(reads).toHaveLength(6);
      expect(gaps(reads).every((gap) => gap >= 999 && gap <= 1_001)).toBe(true);
      expect(seqsOf(spool)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('does not count a forward step as thousands of skipped ticks: no reading was missed in real time', async () => {
      const { logger, lines } = captureLogs('info');
      const { sensors } = steppedSensors();
      const s = makeSampler({ sensors, logger });
      s.start();
      await vi.advanceTimersByTimeAsync(2_000);
      wallClock.offset = 3_600_000;
      await vi.advanceTimersByTimeAsync(3_000);
      expect(s.stats().skippedTicks).toBe(0);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 40, msg: 'wall clock stepped; sampling follows it' }),
      );
    });
  });

  it('never ticks twice in one slot when the timer fires a millisecond early', async () => {
    const early: Timers = {
      setTimeout: (callback, ms) => setTimeout(callback, Math.max(0, ms - 1)),
      clearTimeout: (handle) => clearTimeout(handle),
    };
    const { sensors, startedAt } = timedSensors();
    const s = makeSampler({ sensors, timers: early });
    s.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(startedAt).toHaveLength(10);
    expect(new Set(startedAt.map((t) => Math.round((t - BASE) / 1000))).size).toBe(10);
  });

  it('counts and logs failed reads, and keeps sampling', async () => {
    const { logger, lines } = captureLogs('info');
    const s = makeSampler({ sensors: new MockSensors({ failEvery: 3, clock: wallClock }), logger });
    s.start();
    await vi.advanceTimersByTimeAsync(9_000);
    expect(s.stats()).toMatchObject({ readings: 6, sensorErrors: 3 });
    const failure = lines.find((line) => line.msg === 'sensor read failed');
    expect(failure).toMatchObject({
      level: 40,
      sensor: 'mock',
      err: expect.objectContaining({ type: 'SensorReadError' }),
    });
    expect(lines.filter((line) => line.msg === 'sensor read recovered')).toHaveLength(2);
  });

  it('logs a long sensor outage once a minute, not once a second', async () => {
    const { logger, lines } = captureLogs('info');
    const broken: SensorReader = {
      name: 'broken',
      read: async () => {
        throw new SensorReadError('I2C timeout');
      },
      close: async () => {},
    };
    const s = makeSampler({ sensors: broken, logger });
    s.start();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(s.stats().sensorErrors).toBe(120);
    expect(lines.filter((line) => String(line.msg).startsWith('sensor read'))).toHaveLength(3);
  });

  it('counts and logs a failed spool append (disk full) and keeps sampling', async () => {
    const { logger, lines } = captureLogs('info');
    const spool = new MemorySpool();
    const append = spool.append.bind(spool);
    vi.spyOn(spool, 'append')
      .mockImplementationOnce(append)
      .mockImplementationOnce(() => {
        throw new SpoolWriteError('spool could not store readings: database or disk is full');
      });
    const s = makeSampler({ sensors: timedSensors().sensors, spool, logger });
    s.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(s.stats()).toMatchObject({ readings: 2, spoolErrors: 1 });
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'spool append failed' }));
  });

  it('notifies every listener once the reading is stored, even if one of them throws', async () => {
    const { logger, lines } = captureLogs('info');
    const s = makeSampler({ sensors: timedSensors().sensors, logger });
    const seqs: number[] = [];
    s.onReading(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = s.onReading((reading) => seqs.push(reading.seq));
    s.start();
    await vi.advanceTimersByTimeAsync(2_000);
    unsubscribe();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seqs).toEqual([1, 2]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'reading listener failed', seq: 1 }));
  });

  it('stop() clears the timer and waits for the reading in progress to be stored', async () => {
    const { sensors, startedAt } = timedSensors(() => 300);
    const spool = new MemorySpool();
    const s = makeSampler({ sensors, spool });
    s.start();
    await vi.advanceTimersByTimeAsync(800); // the first read (+1000 … +1300) is under way
    let stopped = false;
    const stopping = s.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await stopping;
    expect(spool.stats().depth).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(startedAt).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a second start() and can start again after stop()', async () => {
    const { sensors, startedAt } = timedSensors(() => 500);
    const s = makeSampler({ sensors });
    s.start();
    s.start();
    await vi.advanceTimersByTimeAsync(900); // mid-read (+1000 … +1500)
    const stopping = s.stop();
    s.start(); // restarted before the old tick finished: it must not schedule a second chain
    await vi.advanceTimersByTimeAsync(5_000);
    await stopping;
    expect(startedAt.map((t) => t - BASE)).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
  });

  it('rejects an interval that is not a positive integer', () => {
    expect(() => makeSampler({ sensors: timedSensors().sensors, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => makeSampler({ sensors: timedSensors().sensors, intervalMs: 2.5 })).toThrow(/intervalMs/);
  });
});
