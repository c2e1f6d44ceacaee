import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { CountdownConfigError, FLASH_WAIT_MS, runCountdown } from './countdown.js';
import type { LedMatrix } from './led-port.js';
import { RecordingLeds } from './recording-leds.js';
import { SafeLedMatrix } from './safe-leds.js';

const T0 = 1_700_000_000_000;

describe('runCountdown', () => {
  let leds: RecordingLeds;
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    leds = new RecordingLeds({ clock: systemClock });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const timeline = () => leds.calls.map((call, i) => `${leds.script[i]}@${call.atMs - T0}`);

  it('shows 3, 2, 1 and the flash at 0, 1000, 2000 and 3000 ms, then resolves', async () => {
    let done = false;
    const countdown = runCountdown(leds, 3, systemTimers).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(2999);
    expect(timeline()).toEqual(['3@0', '2@1000', '1@2000']);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await countdown;
    expect(timeline()).toEqual(['3@0', '2@1000', '1@2000', 'flash@3000']);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with 0 seconds shows nothing at all and resolves at once', async () => {
    await runCountdown(leds, 0, systemTimers);
    expect(leds.calls).toEqual([]);
    expect(Date.now()).toBe(T0);
  });

  it('counts down from 9 at most', async () => {
    const countdown = runCountdown(leds, 9, systemTimers);
    await vi.advanceTimersByTimeAsync(9000);
    await countdown;
    expect(leds.script).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', 'flash']);
    for (const seconds of [10, -1, 1.5, Number.NaN]) {
      await expect(runCountdown(leds, seconds, systemTimers)).rejects.toThrow(CountdownConfigError);
    }
  });

  it('clears the matrix and rejects with the reason when aborted mid-countdown', async () => {
    const controller = new AbortController();
    const countdown = runCountdown(leds, 3, systemTimers, controller.signal);
    const outcome = countdown.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1500);
    controller.abort(new Error('shutting down'));
    expect(((await outcome) as Error).message).toBe('shutting down');
    await vi.advanceTimersByTimeAsync(5000);
    expect(timeline()).toEqual(['3@0', '2@1000', 'clear@1500']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shows nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runCountdown(leds, 3, systemTimers, controller.signal)).rejects.toThrow();
    expect(leds.calls).toEqual([]);
  });

  it('keeps its timing when every LED call fails', async () => {
    const broken = new RecordingLeds({ clock: systemClock, failOn: ['digit', 'flash', 'clear'] });
    const countdown = runCountdown(broken, 3, systemTimers);
    await vi.advanceTimersByTimeAsync(3000);
    await expect(countdown).resolves.toBeUndefined();
  });

  it('is not stalled by LED calls that throw synchronously or never answer', async () => {
    const hostile: LedMatrix = {
      showDigit: () => new Promise(() => undefined),
      flash: () => new Promise(() => undefined),
      showIcon: async () => undefined,
      clear: () => {
        throw new Error('sync throw');
      },
      close: async () => undefined,
    };
    let doneAtMs = 0;
    const countdown = runCountdown(hostile, 2, systemTimers).then(() => {
      doneAtMs = Date.now() - T0;
    });
    await vi.advanceTimersByTimeAsync(2000 + FLASH_WAIT_MS);
    await countdown;
    expect(doneAtMs).toBe(2000 + FLASH_WAIT_MS);

    const controller = new AbortController();
    const aborted = runCountdown(hostile, 2, systemTimers, controller.signal).catch(() => 'aborted');
    await vi.advanceTimersByTimeAsync(500);
    controller.abort();
    expect(await aborted).toBe('aborted');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('runs over a SafeLedMatrix, which counts the failures', async () => {
    const safe = new SafeLedMatrix(new RecordingLeds({ failOn: ['digit'] }), silentLogger());
    const countdown = runCountdown(safe, 2, systemTimers);
    await vi.advanceTimersByTimeAsync(2000);
    await countdown;
    expect(safe.failures).toBe(2);
  });
});
