import { describe, expect, it } from 'vitest';
import { RestartPolicy } from './restart-policy.js';

describe('RestartPolicy', () => {
  const policy = () =>
    new RestartPolicy({ minDelayMs: 1000, maxDelayMs: 5000, maxCrashes: 4, windowMs: 60_000 });

  it('backs off exponentially up to the cap, then gives up after maxCrashes within the window', () => {
    const p = policy();
    expect(p.crashed(0)).toEqual({ action: 'restart', delayMs: 1000, recentCrashes: 1 });
    expect(p.crashed(10_000)).toEqual({ action: 'restart', delayMs: 2000, recentCrashes: 2 });
    expect(p.crashed(20_000)).toEqual({ action: 'restart', delayMs: 4000, recentCrashes: 3 });
    expect(p.crashed(30_000)).toEqual({ action: 'give-up', recentCrashes: 4 });
  });

  it('caps the delay', () => {
    const p = new RestartPolicy({ minDelayMs: 1000, maxDelayMs: 3000, maxCrashes: 10, windowMs: 60_000 });
    for (let i = 0; i < 4; i += 1) p.crashed(i);
    expect(p.crashed(5)).toMatchObject({ delayMs: 3000 });
  });

  it('forgets crashes older than the window: a fleet that crashes now and then is always restarted', () => {
    const p = policy();
    for (let minute = 0; minute < 20; minute += 1) {
      expect(p.crashed(minute * 61_000)).toEqual({ action: 'restart', delayMs: 1000, recentCrashes: 1 });
    }
  });

  it('rejects settings that could never restart or never give up', () => {
    expect(() => new RestartPolicy({ minDelayMs: 0, maxDelayMs: 1, maxCrashes: 3, windowMs: 1 })).toThrow(
      /minDelayMs/,
    );
    expect(() => new RestartPolicy({ minDelayMs: 10, maxDelayMs: 5, maxCrashes: 3, windowMs: 1 })).toThrow(
      /maxDelayMs/,
    );
    expect(() => new RestartPolicy({ minDelayMs: 1, maxDelayMs: 5, maxCrashes: 0, windowMs: 1 })).toThrow(
      /maxCrashes/,
    );
  });
});
