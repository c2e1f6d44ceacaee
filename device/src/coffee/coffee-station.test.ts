import type { CoffeeEvent } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import { ButtonUnavailableError } from '../button/button-port.js';
import { FakeButton } from '../button/fake-button.js';
import { RecordingLeds } from '../leds/recording-leds.js';
import { systemClock } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { CoffeeFlow } from './coffee-flow.js';
import { CoffeeStation } from './coffee-station.js';

let ids = 0;

function station(options: { failingTrigger?: boolean } = {}) {
  const events: CoffeeEvent[] = [];
  const order: string[] = [];
  const working = new FakeButton();
  const broken = new FakeButton({
    failStart: new ButtonUnavailableError('GPIO 17: onoff could not be loaded'),
  });
  const leds = new RecordingLeds();
  const flow = new CoffeeFlow({
    deviceId: 'coffee-pi-1',
    bootId: '11111111-1111-4111-8111-111111111111',
    camera: { capture: async () => undefined },
    outbox: { stagingPath: (id) => `/tmp/${id}.jpg`, add: async () => undefined },
    countdown: async () => undefined,
    showError: () => undefined,
    queueEvent: (event) => events.push(event),
    cooldownMs: 0,
    clock: systemClock,
    logger: silentLogger(),
    newEventId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  });
  const coffee = new CoffeeStation({
    flow,
    triggers: options.failingTrigger ? [broken, working] : [working],
    leds,
    outbox: {
      start: async () => void order.push('outbox started'),
      stop: async () => void order.push('outbox stopped'),
      stats: () => ({ depth: 2, oldestCapturedAtMs: 5, dropped: 1 }),
    },
    uploads: {
      start: () => void order.push('uploads started'),
      stop: async () => void order.push('uploads stopped'),
      notify: () => void order.push('uploads notified'),
      stats: () => ({ uploaded: 3, uploadFailures: 4 }),
    },
    logger: silentLogger(),
  });
  return { coffee, working, events, order, leds };
}

describe('CoffeeStation', () => {
  it('keeps the working triggers when one cannot start', async () => {
    const { coffee, working, events } = station({ failingTrigger: true });
    await coffee.start();
    expect(working.press()).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map((e) => [e.trigger, e.outcome])).toEqual([['button', 'captured']]);
    await coffee.stop();
  });

  it('starts the outbox before the uploads and stops in reverse, closing the LEDs last', async () => {
    const { coffee, working, order, leds } = station();
    await coffee.start();
    coffee.photoQueued();
    await coffee.stop();
    expect(order).toEqual([
      'outbox started',
      'uploads started',
      'uploads notified',
      'uploads stopped',
      'outbox stopped',
    ]);
    expect(leds.calls.at(-1)?.op).toBe('close');
    // Stopped triggers no longer reach the flow.
    expect(working.press()).toBe(false);
  });

  it('shows the connection on the LEDs and reports the pipeline in its snapshot', async () => {
    const { coffee, leds } = station();
    coffee.connectionChanged(false);
    coffee.connectionChanged(true);
    expect(leds.calls.map((call) => (call.op === 'icon' ? call.icon : call.op))).toEqual([
      'offline',
      'clear',
    ]);
    expect(coffee.snapshot(7)).toEqual({
      outboxDepth: 2,
      oldestPendingPhotoAtMs: 5,
      outboxDropped: 1,
      captureFailures: 0,
      uploadFailures: 4,
      skippedPresses: 0,
      presses: 0,
      uploaded: 3,
      pendingEvents: 7,
      unrecordedPresses: { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 },
      outboxWriteFailures: { ENOSPC: 0, EIO: 0, EROFS: 0, other: 0 },
    });
  });
});
