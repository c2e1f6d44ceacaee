import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { ConnectionSupervisor } from './connection-supervisor.js';

describe('ConnectionSupervisor', () => {
  let transport: FakeTransport;
  const policy = { minMs: 1000, maxMs: 8000, stableAfterMs: 30_000 };

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    transport = new FakeTransport();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function supervise(events: string[] = []) {
    return new ConnectionSupervisor({
      transport,
      backoff: policy,
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
      random: () => 1,
      onConnected: () => events.push(`up@${Date.now()}`),
      onDisconnected: () => events.push(`down@${Date.now()}`),
    });
  }

  it('retries a failing broker with growing delays, never in a hot loop', async () => {
    for (let i = 0; i < 6; i += 1) transport.connectScript.push(new Error('tls: unknown ca'));
    const events: string[] = [];
    const supervisor = supervise(events);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(60_000);
    // attempts at 0, 1000, 3000, 7000, 15000, 23000, then success at 31000
    expect(transport.connectAttempts).toBe(7);
    expect(events).toEqual(['up@31000']);
    expect(supervisor.state).toBe('connected');
    expect(supervisor.connectFailures).toBe(6);
    await supervisor.stop();
  });

  it('reconnects after a lost connection and resets the backoff once the connection was stable', async () => {
    const events: string[] = [];
    const supervisor = supervise(events);
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    // Flapping: lost right away, so the backoff keeps growing.
    transport.connectScript.push(new Error('refused'), new Error('refused'));
    transport.dropConnection();
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000);
    expect(events).toEqual(['up@0', 'down@0', 'up@7000']);
    // Stable for 30 s: the next loss starts again at the minimum delay.
    await vi.advanceTimersByTimeAsync(30_000);
    transport.dropConnection();
    await vi.advanceTimersByTimeAsync(999);
    expect(supervisor.state).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(1);
    expect(supervisor.state).toBe('connected');
    await supervisor.stop();
  });

  it('stop() cancels a pending retry and disconnects; nothing reconnects afterwards', async () => {
    transport.connectScript.push(new Error('down'));
    const supervisor = supervise();
    supervisor.start();
    await vi.advanceTimersByTimeAsync(0);
    await supervisor.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(transport.connectAttempts).toBe(1);
    expect(supervisor.state).toBe('stopped');
    expect(vi.getTimerCount()).toBe(0);
  });
});
