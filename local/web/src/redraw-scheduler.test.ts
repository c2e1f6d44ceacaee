import { describe, expect, it } from 'vitest';
import { RedrawScheduler, type SchedulerHooks } from './redraw-scheduler.js';

/** Hand-driven clock, frames and timers. */
function fakeHooks() {
  let now = 0;
  let nextHandle = 1;
  const frames = new Map<number, () => void>();
  const timers = new Map<number, { at: number; callback: () => void }>();
  const hooks: SchedulerHooks = {
    now: () => now,
    requestFrame: (callback) => {
      frames.set(nextHandle, callback);
      return nextHandle++;
    },
    cancelFrame: (handle) => frames.delete(handle),
    setTimer: (callback, ms) => {
      timers.set(nextHandle, { at: now + ms, callback });
      return nextHandle++;
    },
    clearTimer: (handle) => timers.delete(handle),
  };
  return {
    hooks,
    frames,
    timers,
    /** Moves the clock, firing due timers. */
    advance(ms: number) {
      now += ms;
      for (const [handle, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(handle);
          timer.callback();
        }
      }
    },
    /** Runs the pending animation frames. */
    paint() {
      const due = [...frames.values()];
      frames.clear();
      for (const callback of due) callback();
    },
  };
}

describe('RedrawScheduler', () => {
  it('draws the first change in the next frame', () => {
    const fake = fakeHooks();
    const draws: string[][] = [];
    const scheduler = new RedrawScheduler<string>((s) => draws.push([...s]), 1000, fake.hooks);
    scheduler.invalidate(['devices']);
    expect(draws).toEqual([]);
    fake.paint();
    expect(draws).toEqual([['devices']]);
  });

  it('coalesces a burst of changes into one draw of every changed section', () => {
    const fake = fakeHooks();
    const draws: string[][] = [];
    const scheduler = new RedrawScheduler<string>((s) => draws.push([...s].sort()), 1000, fake.hooks);
    for (let i = 0; i < 25; i++) scheduler.invalidate(['telemetry']);
    scheduler.invalidate(['coffees']);
    fake.paint();
    expect(draws).toEqual([['coffees', 'telemetry']]);
  });

  it('draws at most once per interval', () => {
    const fake = fakeHooks();
    let draws = 0;
    const scheduler = new RedrawScheduler<string>(() => draws++, 1000, fake.hooks);
    scheduler.invalidate(['telemetry']);
    fake.paint();
    fake.advance(200);
    scheduler.invalidate(['telemetry']);
    fake.paint();
    expect(draws).toBe(1);
    fake.advance(799);
    fake.paint();
    expect(draws).toBe(1);
    fake.advance(1);
    fake.paint();
    expect(draws).toBe(2);
  });

  it('draws nothing for an empty change', () => {
    const fake = fakeHooks();
    let draws = 0;
    const scheduler = new RedrawScheduler<string>(() => draws++, 1000, fake.hooks);
    scheduler.invalidate([]);
    fake.paint();
    expect(draws).toBe(0);
  });

  it('stop cancels what was scheduled', () => {
    const fake = fakeHooks();
    let draws = 0;
    const scheduler = new RedrawScheduler<string>(() => draws++, 1000, fake.hooks);
    scheduler.invalidate(['devices']);
    fake.paint();
    scheduler.invalidate(['devices']);
    scheduler.stop();
    fake.advance(5000);
    fake.paint();
    expect(draws).toBe(1);
    expect(fake.timers.size).toBe(0);
    expect(fake.frames.size).toBe(0);
  });
});
