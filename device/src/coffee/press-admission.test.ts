import type { CoffeeEvent } from '@coffee-iot/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeButton } from '../button/fake-button.js';
import { RecordingLeds } from '../leds/recording-leds.js';
import { systemClock } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { HttpControl } from '../triggers/http-control.js';
import { CoffeeFlow, type CoffeeFlowOptions } from './coffee-flow.js';
import { CoffeeStation } from './coffee-station.js';

let ids = 0;
const newEventId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;

/** What better-sqlite3 throws when the disk is full, and what the kernel says for a dying card. */
const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
const ioError = () => Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });

interface Harness {
  flow: CoffeeFlow;
  events: { event: CoffeeEvent; reservation: number | undefined }[];
  reserved: CoffeeEvent[];
  captures: string[];
  errorsShown: () => number;
  storage: { reserve: Error | null; queue: Error | null };
}

function harness(overrides: Partial<CoffeeFlowOptions> = {}): Harness {
  const events: Harness['events'] = [];
  const reserved: CoffeeEvent[] = [];
  const captures: string[] = [];
  const storage: Harness['storage'] = { reserve: null, queue: null };
  let shown = 0;
  const flow = new CoffeeFlow({
    deviceId: 'coffee-pi-1',
    bootId: '11111111-1111-4111-8111-111111111111',
    camera: {
      capture: async (path) => {
        captures.push(path);
      },
    },
    outbox: { stagingPath: (id) => `/state/capture/${id}.jpg`, add: async () => undefined },
    countdown: async () => undefined,
    showError: () => {
      shown += 1;
    },
    queueEvent: (event, reservation) => {
      if (storage.queue) throw storage.queue;
      events.push({ event, reservation });
    },
    reservePress: (fallback) => {
      if (storage.reserve) throw storage.reserve;
      reserved.push(fallback);
      return reserved.length;
    },
    cooldownMs: 0,
    clock: systemClock,
    logger: silentLogger(),
    newEventId,
    ...overrides,
  });
  return { flow, events, reserved, captures, errorsShown: () => shown, storage };
}

describe('CoffeeFlow.admit: a press is accepted only once it is on disk', () => {
  it('reserves a fallback event before answering, and replaces it with the outcome', async () => {
    const { flow, events, reserved } = harness();
    const admission = flow.admit('http');
    expect(admission).toMatchObject({ accepted: true });
    expect(reserved).toHaveLength(1);
    expect(reserved[0]).toMatchObject({
      eventId: admission.eventId,
      outcome: 'camera_failed',
      reason: expect.stringContaining('never recorded'),
    });
    await admission.done;
    expect(events).toEqual([
      { event: expect.objectContaining({ eventId: admission.eventId, outcome: 'captured' }), reservation: 1 },
    ]);
  });

  it('refuses a press whose reservation the disk refuses: counted by cause, error shown, no capture', async () => {
    const { flow, captures, errorsShown, storage } = harness();
    storage.reserve = diskFull();
    const admission = flow.admit('button');
    expect(admission).toMatchObject({ accepted: false, cause: 'ENOSPC' });
    await admission.done;
    expect(captures).toEqual([]);
    expect(errorsShown()).toBe(1);
    expect(flow.stats().unrecordedPresses).toEqual({ ENOSPC: 1, EIO: 0, EROFS: 0, other: 0 });

    storage.reserve = null;
    expect(flow.admit('button').accepted).toBe(true);
  });

  it('refuses a skipped press whose event cannot be stored', async () => {
    const { flow, storage } = harness();
    const first = flow.admit('button'); // capture running
    storage.queue = ioError();
    const skipped = flow.admit('button');
    expect(skipped).toMatchObject({ accepted: false, cause: 'EIO' });
    await first.done;
    expect(flow.stats()).toMatchObject({ skipped: 1, unrecordedPresses: { EIO: 2 } });
  });

  it('counts an accepted press whose outcome cannot be stored, and shows the error', async () => {
    const { flow, errorsShown, storage } = harness();
    const admission = flow.admit('button');
    storage.queue = diskFull();
    await admission.done;
    expect(flow.stats()).toMatchObject({ eventQueueFailures: 1, unrecordedPresses: { ENOSPC: 1 } });
    expect(errorsShown()).toBe(1);
  });
});

describe('CoffeeStation with the HTTP control port', () => {
  const stations: CoffeeStation[] = [];
  afterEach(async () => {
    for (const station of stations.splice(0)) await station.stop();
  });

  async function start(h: Harness): Promise<{ control: HttpControl; button: FakeButton }> {
    const control = new HttpControl({ logger: silentLogger(), port: 0 });
    const button = new FakeButton();
    const station = new CoffeeStation({
      flow: h.flow,
      triggers: [button, control],
      leds: new RecordingLeds(),
      outbox: {
        start: async () => undefined,
        stop: async () => undefined,
        stats: () => ({ depth: 0, oldestCapturedAtMs: null, dropped: 0 }),
      },
      uploads: null,
      logger: silentLogger(),
    });
    stations.push(station);
    await station.start();
    return { control, button };
  }

  it('answers 202 with the eventId once the press is on disk', async () => {
    const h = harness();
    const { control } = await start(h);
    const response = await fetch(`${control.url}/press`, { method: 'POST' });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { eventId: string };
    expect(body).toEqual({ accepted: true, eventId: h.reserved[0]?.eventId });
  });

  it('answers 507 with a JSON reason on a full disk and 503 on an I/O error, never 202', async () => {
    const h = harness();
    const { control } = await start(h);
    h.storage.reserve = diskFull();
    const full = await fetch(`${control.url}/press`, { method: 'POST' });
    expect(full.status).toBe(507);
    expect(await full.json()).toMatchObject({
      accepted: false,
      cause: 'ENOSPC',
      error: expect.stringContaining('could not be recorded'),
    });
    h.storage.reserve = ioError();
    const broken = await fetch(`${control.url}/press`, { method: 'POST' });
    expect(broken.status).toBe(503);
    expect(await broken.json()).toMatchObject({ accepted: false, cause: 'EIO' });
    expect(h.captures).toEqual([]);
    expect(h.flow.stats().unrecordedPresses).toEqual({ ENOSPC: 1, EIO: 1, EROFS: 0, other: 0 });
  });

  it('a button press that cannot be recorded shows the error and is counted', async () => {
    const h = harness();
    const { button } = await start(h);
    h.storage.reserve = diskFull();
    button.press();
    expect(h.errorsShown()).toBe(1);
    expect(h.flow.stats().unrecordedPresses.ENOSPC).toBe(1);
  });
  it('answers 503, never 202, when the press handler itself fails', async () => {
    const control = new HttpControl({ logger: silentLogger(), port: 0 });
    control.answerPresses(() => {
      throw new Error('spool is closed');
    });
    await control.start();
    try {
      const response = await fetch(`${control.url}/press`, { method: 'POST' });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        accepted: false,
        error: expect.stringContaining('spool is closed'),
      });
    } finally {
      await control.stop();
    }
  });
});
