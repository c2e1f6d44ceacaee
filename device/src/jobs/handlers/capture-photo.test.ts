import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoffeeFlow } from '../../coffee/coffee-flow.js';
import { delay, systemClock, systemTimers } from '../../ports/clock.js';
import { silentLogger } from '../../ports/logger.js';
import { fakeJobRun } from '../../testing/jobs/fake-job-run.js';
import { StationPhotoTaker } from '../station-photo-taker.js';
import { CapturePhotoHandler } from './capture-photo.js';

const BOOT = '11111111-1111-4111-8111-111111111111';
let nextId = 0;
const newEventId = () => `00000000-0000-4000-8000-${String(++nextId).padStart(12, '0')}`;

describe('capture-photo', () => {
  let captures: string[];
  let cameraFails: Error | null;
  let taker: StationPhotoTaker;
  let flow: CoffeeFlow;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-12-07T09:00:00.000Z') });
    captures = [];
    cameraFails = null;
    // The real press path of the coffee station, with a fake camera and outbox.
    flow = new CoffeeFlow({
      deviceId: 'coffee-pi-3',
      bootId: BOOT,
      camera: {
        capture: async (path) => {
          captures.push(path);
          await delay(systemTimers, 200);
          if (cameraFails) throw cameraFails;
        },
      },
      outbox: { stagingPath: (eventId) => `/state/${eventId}.jpg`, add: async () => {} },
      countdown: (signal) => delay(systemTimers, 3000, signal),
      showError: () => {},
      queueEvent: (event) => taker.eventQueued(event),
      cooldownMs: 2000,
      clock: systemClock,
      logger: silentLogger(),
      newEventId,
    });
    taker = new StationPhotoTaker(() => ({ press: (source) => flow.admit(source) }));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('presses like the button and succeeds with the photo key, checkpointed after the capture', async () => {
    const job = fakeJobRun({ operation: 'capture-photo' });
    const running = new CapturePhotoHandler(taker).run(job);
    await vi.advanceTimersByTimeAsync(3200);
    const outcome = await running;

    expect(captures).toHaveLength(1);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.details.photoKey).toMatch(/^photos\/coffee-pi-3\/2026\/12\/07\/[0-9a-f-]{36}\.jpg$/);
    expect(job.checkpoints.map((c) => c.phase)).toEqual(['pressing', 'pressing', 'captured']);
    expect(job.checkpoints[2]?.photoKey).toBe(outcome.details.photoKey);
    expect(job.progressed[0]).toMatchObject({ step: 'capturing' });
  });

  it('fails with the camera error in the reason', async () => {
    cameraFails = new Error('rpicam-still timed out');
    const running = new CapturePhotoHandler(taker).run(fakeJobRun({ operation: 'capture-photo' }));
    await vi.advanceTimersByTimeAsync(3200);
    const outcome = await running;
    expect(outcome).toMatchObject({ status: 'FAILED' });
    expect(outcome.details.reason).toMatch(/camera_failed: .*rpicam-still timed out/);
  });

  it('fails rather than taking a second photo when the button is mid-capture', async () => {
    void flow.press('button');
    const outcome = await new CapturePhotoHandler(taker).run(fakeJobRun({ operation: 'capture-photo' }));
    expect(outcome.details.reason).toMatch(/skipped: a capture was already running/);
    await vi.advanceTimersByTimeAsync(3200);
    expect(captures).toHaveLength(1);
  });

  it('after a restart never presses again: captured → SUCCEEDED with that key, pressing → FAILED', async () => {
    const handler = new CapturePhotoHandler(taker);
    const done = await handler.run(
      fakeJobRun(
        { operation: 'capture-photo' },
        { checkpoint: { phase: 'captured', photoKey: 'photos/k.jpg' } },
      ),
    );
    expect(done).toEqual({ status: 'SUCCEEDED', details: { photoKey: 'photos/k.jpg' } });
    const cut = await handler.run(
      fakeJobRun({ operation: 'capture-photo' }, { checkpoint: { phase: 'pressing', eventId: 'e-1' } }),
    );
    expect(cut.status).toBe('FAILED');
    expect(cut.details).toMatchObject({ eventId: 'e-1' });
    expect(cut.details.reason).toMatch(/no second photo/);
    expect(captures).toEqual([]);
  });

  it('refuses parameters it does not know', () => {
    const handler = new CapturePhotoHandler(taker);
    expect(handler.validate({ operation: 'capture-photo' })).toBeNull();
    expect(handler.validate({ operation: 'capture-photo', command: 'x' })).toMatch(/no parameters/);
  });
});
