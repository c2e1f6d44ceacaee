import { describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from './api.js';
import type { DashboardEvent } from './events.js';
import { type ConnectionState, type EventSourceLike, LiveConnection } from './live-connection.js';
import { device, snapshot } from './testing/fixtures.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

class FakeEventSource implements EventSourceLike {
  readyState = CONNECTING;
  closed = false;
  private readonly listeners = new Map<string, ((event: Event) => void)[]>();

  addEventListener(type: string, listener: (event: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = CLOSED;
  }

  open(): void {
    this.readyState = OPEN;
    this.emit('open', new Event('open'));
  }

  fail(readyState: number): void {
    this.readyState = readyState;
    this.emit('error', new Event('error'));
  }

  send(name: string, data: unknown): void {
    this.emit(name, new MessageEvent(name, { data: typeof data === 'string' ? data : JSON.stringify(data) }));
  }

  private emit(type: string, event: Event): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

/** A snapshot request the test answers when it wants. */
interface PendingSnapshot {
  resolve(snapshot: DashboardSnapshot): void;
  reject(error: Error): void;
}

function setup() {
  const sources: FakeEventSource[] = [];
  const requests: PendingSnapshot[] = [];
  const timers = new Map<number, () => void>();
  let nextTimer = 1;
  const log = {
    states: [] as ConnectionState[],
    snapshots: [] as DashboardSnapshot[],
    events: [] as DashboardEvent[],
    problems: [] as string[],
  };
  const connection = new LiveConnection(
    {
      eventsUrl: '/api/events',
      createEventSource: () => {
        const source = new FakeEventSource();
        sources.push(source);
        return source;
      },
      fetchSnapshot: () => new Promise((resolve, reject) => requests.push({ resolve, reject })),
      setTimer: (callback) => {
        timers.set(nextTimer, callback);
        return nextTimer++;
      },
      clearTimer: (handle) => timers.delete(handle),
      retryMs: 3000,
    },
    {
      onConnectionState: (state) => log.states.push(state),
      onSnapshot: (s) => log.snapshots.push(s),
      onEvent: (e) => log.events.push(e),
      onProblem: (message) => log.problems.push(message),
    },
  );
  const runTimers = () => {
    const due = [...timers.values()];
    timers.clear();
    for (const callback of due) callback();
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { connection, sources, requests, timers, runTimers, settle, log };
}

describe('LiveConnection', () => {
  it('reads "reconnecting" until the stream opens, then "live"', () => {
    const { connection, sources, log } = setup();
    connection.start();
    expect(log.states).toEqual(['reconnecting']);
    sources[0]?.open();
    expect(log.states).toEqual(['reconnecting', 'live']);
  });

  it('loads the snapshot when the stream opens and replays events that came meanwhile', async () => {
    const { connection, sources, requests, settle, log } = setup();
    connection.start();
    sources[0]?.open();
    expect(requests).toHaveLength(1);
    sources[0]?.send('device', device('dev-1', { online: false }));
    expect(log.events).toEqual([]);

    const snap = snapshot();
    requests[0]?.resolve(snap);
    await settle();
    expect(log.snapshots).toEqual([snap]);
    expect(log.events.map((e) => e.name)).toEqual(['device']);

    sources[0]?.send('coffee', { coffee: null, stats: null });
    expect(log.events.map((e) => e.name)).toEqual(['device', 'coffee']);
  });

  it('shows "reconnecting" on error and loads a fresh snapshot when the stream reopens', async () => {
    const { connection, sources, requests, settle, log } = setup();
    connection.start();
    sources[0]?.open();
    requests[0]?.resolve(snapshot());
    await settle();

    sources[0]?.fail(CONNECTING);
    expect(log.states.at(-1)).toBe('reconnecting');
    expect(sources).toHaveLength(1); // the browser retries by itself

    sources[0]?.open();
    expect(log.states.at(-1)).toBe('live');
    expect(requests).toHaveLength(2);
  });

  it('opens a new stream after a pause when the browser gave up on the old one', () => {
    const { connection, sources, timers, runTimers } = setup();
    connection.start();
    sources[0]?.fail(CLOSED);
    expect(sources).toHaveLength(1);
    expect(timers.size).toBe(1);
    runTimers();
    expect(sources).toHaveLength(2);
    expect(sources[0]?.closed).toBe(true);
  });

  it('retries a failed snapshot and says so', async () => {
    const { connection, sources, requests, runTimers, settle, log } = setup();
    connection.start();
    sources[0]?.open();
    requests[0]?.reject(new Error('503'));
    await settle();
    expect(log.problems).toHaveLength(1);
    runTimers();
    expect(requests).toHaveLength(2);
  });

  it('skips an event whose data is not JSON and keeps going', async () => {
    const { connection, sources, requests, settle, log } = setup();
    connection.start();
    sources[0]?.open();
    requests[0]?.resolve(snapshot());
    await settle();
    sources[0]?.send('telemetry', '{not json');
    sources[0]?.send('device', device('dev-1'));
    expect(log.problems).toEqual(['could not read a "telemetry" event']);
    expect(log.events.map((e) => e.name)).toEqual(['device']);
  });

  it('ignores an answer to a snapshot request made before a reconnect', async () => {
    const { connection, sources, requests, settle, log } = setup();
    connection.start();
    sources[0]?.open();
    sources[0]?.fail(CONNECTING);
    sources[0]?.open();
    const fresh = snapshot({ generatedAt: '2024-05-01T12:00:05.000Z' });
    requests[1]?.resolve(fresh);
    requests[0]?.resolve(snapshot());
    await settle();
    expect(log.snapshots).toEqual([fresh]);
  });

  it('stop closes the stream and cancels retries', () => {
    const { connection, sources, timers } = setup();
    connection.start();
    sources[0]?.fail(CLOSED);
    connection.stop();
    expect(timers.size).toBe(0);
    connection.start();
    expect(sources).toHaveLength(2);
    expect(sources[0]?.closed).toBe(true);
  });
});
