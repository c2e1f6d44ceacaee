import { type CoffeeEvent, validateCoffeeEvent } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { delay, systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { CoffeeFlow, type CoffeeFlowOptions } from './coffee-flow.js';

const BOOT = '11111111-1111-4111-8111-111111111111';
let nextId = 0;
const newEventId = () => `00000000-0000-4000-8000-${String(++nextId).padStart(12, '0')}`;

describe('CoffeeFlow', () => {
  let events: CoffeeEvent[];
  let added: { eventId: string; sourcePath: string; capturedAtMs: number }[];
  let captures: string[];
  let errorsShown: number;
  let cameraFails: Error | null;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-26T09:00:00.000Z') });
    events = [];
    added = [];
    captures = [];
    errorsShown = 0;
    cameraFails = null;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function createFlow(overrides: Partial<CoffeeFlowOptions> = {}): CoffeeFlow {
    return new CoffeeFlow({
      deviceId: 'coffee-pi-1',
      bootId: BOOT,
      camera: {
        capture: async (path) => {
          captures.push(path);
          await delay(systemTimers, 200);
          if (cameraFails) throw cameraFails;
        },
      },
      outbox: {
        stagingPath: (eventId) => `/state/outbox/.staging/${eventId}.jpg`,
        add: async (entry) => {
          added.push(entry);
        },
      },
      countdown: (signal) => delay(systemTimers, 3000, signal), // 3-2-1 then flash
      showError: () => {
        errorsShown += 1;
      },
      queueEvent: (event) => {
        events.push(event);
      },
      cooldownMs: 2000,
      clock: systemClock,
      logger: silentLogger(),
      newEventId,
      ...overrides,
    });
  }

  it('counts down, takes the photo, queues it for upload and records a captured event', async () => {
    const flow = createFlow();
    const pressedAt = Date.now();
    const done = flow.press('button');
    await vi.advanceTimersByTimeAsync(2999);
    expect(captures).toHaveLength(0); // still counting down
    await vi.advanceTimersByTimeAsync(201);
    await done;

    expect(added).toHaveLength(1);
    expect(added[0]?.sourcePath).toBe(captures[0]);
    const [event] = events;
    expect(validateCoffeeEvent(event)).toMatchObject({ ok: true });
    expect(event).toMatchObject({
      outcome: 'captured',
      trigger: 'button',
      pressedAt: new Date(pressedAt).toISOString(),
      capturedAt: new Date(pressedAt + 3200).toISOString(),
      photoKey: `photos/coffee-pi-1/2026/11/26/${added[0]?.eventId}.jpg`,
      reason: null,
    });
  });

  it('skips and reports presses during a capture and during the cooldown, then accepts again', async () => {
    const flow = createFlow();
    const first = flow.press('button');
    await vi.advanceTimersByTimeAsync(1000);
    await flow.press('button'); // mid-countdown
    await vi.advanceTimersByTimeAsync(2200);
    await first;
    await flow.press('keyboard'); // within the 2 s cooldown
    await vi.advanceTimersByTimeAsync(2000);
    const third = flow.press('http');
    await vi.advanceTimersByTimeAsync(3200);
    await third;

    expect(events.map((e) => [e.trigger, e.outcome])).toEqual([
      ['button', 'skipped'],
      ['button', 'captured'],
      ['keyboard', 'skipped'],
      ['http', 'captured'],
    ]);
    expect(events.filter((e) => e.outcome === 'skipped').map((e) => e.reason)).toEqual([
      'a capture was already running',
      'pressed during the cooldown after a capture',
    ]);
    for (const event of events) expect(validateCoffeeEvent(event).ok).toBe(true);
    expect(flow.stats()).toEqual({
      presses: 4,
      captured: 2,
      captureFailures: 0,
      skipped: 2,
      eventQueueFailures: 0,
      unrecordedPresses: { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 },
    });
  });

  it('turns a camera failure into a camera_failed event, shows the error, and keeps working', async () => {
    const flow = createFlow();
    cameraFails = Object.assign(new Error('rpicam-still timed out after 10000 ms'), {
      name: 'CameraTimeoutError',
    });
    const failed = flow.press('button');
    await vi.advanceTimersByTimeAsync(3200);
    await failed;
    expect(events[0]).toMatchObject({
      outcome: 'camera_failed',
      photoKey: null,
      reason: 'CameraTimeoutError: rpicam-still timed out after 10000 ms',
    });
    expect(validateCoffeeEvent(events[0]).ok).toBe(true);
    expect(errorsShown).toBe(1);
    expect(added).toHaveLength(0);

    cameraFails = null;
    await vi.advanceTimersByTimeAsync(2000);
    const retried = flow.press('button');
    await vi.advanceTimersByTimeAsync(3200);
    await retried;
    expect(events[1]?.outcome).toBe('captured');
  });

  it('counts an event the spool refuses instead of throwing into the button handler', async () => {
    const flow = createFlow({
      queueEvent: () => {
        throw new Error('SQLITE_FULL: database or disk is full');
      },
    });
    const done = flow.press('button');
    await vi.advanceTimersByTimeAsync(3200);
    await expect(done).resolves.toBeUndefined();
    expect(flow.stats().eventQueueFailures).toBe(1);
  });

  it('stop() aborts a countdown in progress and records the press', async () => {
    const flow = createFlow();
    void flow.press('button');
    await vi.advanceTimersByTimeAsync(1000);
    await flow.stop();
    expect(captures).toHaveLength(0);
    expect(events[0]?.outcome).toBe('camera_failed');
    expect(events[0]?.reason).toMatch(/stopping/);
  });
});
