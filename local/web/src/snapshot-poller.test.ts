import { describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from './api.js';
import { POLL_INTERVAL_MS, pollStateText, SnapshotPoller } from './snapshot-poller.js';
import { snapshot } from './testing/fixtures.js';

interface Pending {
  resolve(snapshot: DashboardSnapshot): void;
  reject(error: Error): void;
}

/** A poller with hand-run timers and snapshot requests the test answers. */
function setup() {
  const requests: Pending[] = [];
  const timers = new Map<number, { callback: () => void; ms: number }>();
  let nextTimer = 1;
  const log = { snapshots: [] as DashboardSnapshot[], failures: [] as unknown[] };
  const poller = new SnapshotPoller(
    {
      fetchSnapshot: () => new Promise((resolve, reject) => requests.push({ resolve, reject })),
      setTimer: (callback, ms) => {
        timers.set(nextTimer, { callback, ms });
        return nextTimer++;
      },
      clearTimer: (handle) => timers.delete(handle),
    },
    {
      onSnapshot: (s) => log.snapshots.push(s),
      onFailure: (error) => log.failures.push(error),
    },
  );
  const runTimers = () => {
    const due = [...timers.values()];
    timers.clear();
    for (const { callback } of due) callback();
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { poller, requests, timers, runTimers, settle, log };
}

describe('SnapshotPoller', () => {
  it('asks at once, then 15 s after each answer', async () => {
    const { poller, requests, timers, runTimers, settle, log } = setup();
    poller.start();
    expect(requests).toHaveLength(1);
    expect(timers.size).toBe(0);

    requests[0]?.resolve(snapshot());
    await settle();
    expect(log.snapshots).toHaveLength(1);
    expect([...timers.values()].map((timer) => timer.ms)).toEqual([POLL_INTERVAL_MS]);

    runTimers();
    expect(requests).toHaveLength(2);
  });

  it('never has two requests out: the next waits for a slow answer', async () => {
    const { poller, requests, timers } = setup();
    poller.start();
    poller.start();
    expect(requests).toHaveLength(1);
    expect(timers.size).toBe(0);
  });

  it('reports a failure and keeps polling', async () => {
    const { poller, requests, runTimers, settle, log } = setup();
    poller.start();
    requests[0]?.reject(new Error('HTTP 503'));
    await settle();
    expect(log.failures).toEqual([new Error('HTTP 503')]);
    runTimers();
    requests[1]?.resolve(snapshot());
    await settle();
    expect(log.snapshots).toHaveLength(1);
  });

  it('logs a handler that throws and keeps polling', async () => {
    const { requests, timers, settle } = setup();
    const logged: [string, unknown][] = [];
    const poller = new SnapshotPoller(
      {
        fetchSnapshot: () => new Promise((resolve, reject) => requests.push({ resolve, reject })),
        setTimer: (callback, ms) => {
          timers.set(1, { callback, ms });
          return 1;
        },
        clearTimer: () => {},
        logError: (message, error) => logged.push([message, error]),
      },
      {
        onSnapshot: () => {
          throw new Error('view broke');
        },
        onFailure: () => {},
      },
    );
    poller.start();
    requests[0]?.resolve(snapshot());
    await settle();
    expect(logged).toEqual([['a snapshot handler failed', new Error('view broke')]]);
    expect(timers.size).toBe(1);
  });

  it('stops: no timer left, and an answer already on its way is dropped', async () => {
    const { poller, requests, timers, settle, log } = setup();
    poller.start();
    poller.stop();
    requests[0]?.resolve(snapshot());
    await settle();
    expect(log.snapshots).toEqual([]);
    expect(timers.size).toBe(0);
  });

  it('starts again after a stop with a fresh request', async () => {
    const { poller, requests, timers, settle } = setup();
    poller.start();
    requests[0]?.resolve(snapshot());
    await settle();
    poller.stop();
    expect(timers.size).toBe(0);
    poller.start();
    expect(requests).toHaveLength(2);
  });
});

describe('pollStateText', () => {
  const T = 1_000_000;

  it('says how long ago the last snapshot came, in whole seconds', () => {
    expect(pollStateText({ lastSuccessMs: T, failing: false }, T)).toBe('updated 0s ago');
    expect(pollStateText({ lastSuccessMs: T, failing: false }, T + 14_999)).toBe('updated 14s ago');
    expect(pollStateText({ lastSuccessMs: T, failing: false }, T - 500)).toBe('updated 0s ago');
  });

  it('says offline when the latest poll failed, and loading before the first answer', () => {
    expect(pollStateText({ lastSuccessMs: T, failing: true }, T + 20_000)).toBe('offline');
    expect(pollStateText({ lastSuccessMs: null, failing: true }, T)).toBe('offline');
    expect(pollStateText({ lastSuccessMs: null, failing: false }, T)).toBe('loading…');
  });
});
