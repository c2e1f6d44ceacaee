import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, systemTimers } from '@coffee-iot/device';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import type { FleetChild } from './fleet-child.js';
import { FleetUnavailableError, PressNotRecordedError } from './fleet-errors.js';
import type { FromFleet, ToFleet } from './fleet-messages.js';
import { FleetProcess } from './fleet-process.js';

/** A fleet process that starts at once, answers presses, and dies when told. */
class FakeChild extends EventEmitter implements FleetChild {
  static nextPid = 1000;
  readonly pid = FakeChild.nextPid++;
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly received: ToFleet[] = [];
  /** Leaves presses unanswered (to die with them in flight). */
  holdPresses = false;
  /** The device's answer to a press. */
  answer: { status: number; error: string | null } = { status: 202, error: null };

  constructor(startsOk = true) {
    super();
    queueMicrotask(() => (startsOk ? this.reply({ type: 'started', devices: 1 }) : this.die(1, null)));
  }

  send(message: ToFleet): boolean {
    this.received.push(message);
    if (message.type === 'stop') queueMicrotask(() => this.die(0, null));
    else if (!this.holdPresses)
      queueMicrotask(() => this.reply({ type: 'press-result', id: message.id, ...this.answer }));
    return true;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    queueMicrotask(() => this.die(null, signal));
    return true;
  }

  die(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.connected = false;
    this.emit('exit', code, signal);
  }

  private reply(message: FromFleet): void {
    this.emit('message', message);
  }
}

describe('the simulated fleet when its process dies', () => {
  let dir: string;
  let children: FakeChild[];
  let failStarts: number;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-fleet-sup-'));
    children = [];
    failStarts = 0;
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  function fleet() {
    const logs = captureLogs();
    const supervised = new FleetProcess({
      specPath: join(dir, 'fleet.json'),
      spec: { configPaths: [], logLevel: 'silent' },
      thingNames: ['coffee-pi-1'],
      logger: logs.logger,
      restart: { minDelayMs: 1000, maxDelayMs: 8000, maxCrashes: 3, windowMs: 60_000 },
      clock: systemClock,
      timers: systemTimers,
      spawn: () => {
        const child = new FakeChild(failStarts-- <= 0);
        children.push(child);
        return child;
      },
    });
    return { fleet: supervised, lines: logs.lines };
  }

  const current = () => children.at(-1) as FakeChild;

  it('answers presses while down with FleetUnavailableError and Retry-After, counts and logs them, and restarts after the backoff', async () => {
    const { fleet: f, lines } = fleet();
    await f.start();
    await f.press('coffee-pi-1');
    current().die(null, 'SIGKILL');

    const refused = await f.press('coffee-pi-1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FleetUnavailableError);
    expect(refused).toMatchObject({ reason: 'restarting' });
    expect((refused as FleetUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((refused as Error).message).toMatch(/restart/);
    expect(f.counters()).toMatchObject({ state: 'restarting', crashes: 1, restarts: 0, pressesRefused: 1 });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: LEVEL.error, signal: 'SIGKILL', restartInMs: 1000 }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ level: LEVEL.warn, deviceId: 'coffee-pi-1' }));

    await vi.advanceTimersByTimeAsync(999);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    expect(f.counters()).toMatchObject({ state: 'running', crashes: 1, restarts: 1 });
    expect(f.pid).toBe(current().pid);
    await expect(f.press('coffee-pi-1')).resolves.toBeUndefined();
    await f.stop();
  });

  it('fails a press in flight when the process dies under it, and counts it as lost', async () => {
    const { fleet: f } = fleet();
    await f.start();
    current().holdPresses = true;
    const inFlight = f.press('coffee-pi-1').catch((e: unknown) => e);
    current().die(1, null);
    expect(await inFlight).toMatchObject({ name: 'FleetUnavailableError', reason: 'lost' });
    expect(f.counters()).toMatchObject({ pressesLost: 1, crashes: 1 });
    await f.stop();
  });

  it('backs off further when a restart fails, and gives up loudly after maxCrashes within the window', async () => {
    const { fleet: f, lines } = fleet();
    await f.start();
    failStarts = 10;
    current().die(1, null); // crash 1: restart in 1 s
    await vi.advanceTimersByTimeAsync(1000); // fails to start: crash 2, restart in 2 s
    expect(children).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(children).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1); // fails again: crash 3 = maxCrashes
    expect(children).toHaveLength(3);
    expect(f.counters()).toMatchObject({ state: 'gave-up', crashes: 3, restarts: 0 });
    expect(lines).toContainEqual(expect.objectContaining({ level: 60, crashes: 3 }));

    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(children).toHaveLength(3);
    const refused = await f.press('coffee-pi-1').catch((e: unknown) => e);
    expect(refused).toMatchObject({
      name: 'FleetUnavailableError',
      reason: 'gave-up',
      retryAfterSeconds: null,
    });
    expect((refused as Error).message).toMatch(/restart the stack/);
    await f.stop();
  });

  it('stop() during the backoff cancels the restart', async () => {
    const { fleet: f } = fleet();
    await f.start();
    current().die(1, null);
    await f.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
    expect(f.counters().state).toBe('stopped');
    await expect(f.press('coffee-pi-1')).rejects.toMatchObject({ reason: 'stopped' });
  });

  it("passes on the device's refusal of a press it could not record, with its status", async () => {
    const { fleet: f } = fleet();
    await f.start();
    current().answer = { status: 507, error: 'the press could not be recorded (ENOSPC): disk full' };
    const refused = await f.press('coffee-pi-1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PressNotRecordedError);
    expect(refused).toMatchObject({
      deviceId: 'coffee-pi-1',
      status: 507,
      message: 'the press could not be recorded (ENOSPC): disk full',
    });
    await f.stop();
  });

  it('a stop asked for is not a crash', async () => {
    const { fleet: f, lines } = fleet();
    await f.start();
    await f.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
    expect(f.counters()).toMatchObject({ crashes: 0, state: 'stopped' });
    expect(lines.filter((line) => line.level >= LEVEL.error)).toEqual([]);
  });
});
