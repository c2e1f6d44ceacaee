import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CoffeeEvent,
  PHOTO_METADATA,
  validateCoffeeEvent,
  validateHealthMessage,
} from '@coffee-iot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJpeg } from '../../../device/src/camera/jpeg-check.js';
import { readStatusFile } from '../../../device/src/status/status-file.js';
import { agentConfigFor } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import { freePort } from '../harness/free-port.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';
import { BUCKET, getPhoto, type RunningS3, startS3rver } from '../upload/s3-stack.js';

const THING = 'coffee-pi-brew';
const COFFEE = `dt/coffee-iot/${THING}/coffee`;
const HEALTH = `dt/coffee-iot/${THING}/health`;

describe('coffee button end to end: press → photo in S3 → coffee event over MQTT', {
  timeout: 60_000,
}, () => {
  let stack: ObservedMosquitto;
  let s3: RunningS3;
  let s3Dir: string;
  let agent: AgentProcess;
  let controlUrl: string;

  beforeAll(async () => {
    stack = await startObservedMosquitto(THING, 'brew-observer', [COFFEE, HEALTH]);
    s3Dir = await mkdtemp(join(tmpdir(), 'coffee-iot-s3-'));
    s3 = await startS3rver(s3Dir);
    const controlPort = await freePort();
    controlUrl = `http://127.0.0.1:${controlPort}`;
    const config = agentConfigFor(stack.broker, THING, join(stack.workDir, 'state'), 'mqtt.js', {
      coffee: { countdownSeconds: 1, cooldownMs: 500 },
      control: { port: controlPort },
      upload: { bucket: BUCKET, region: 'eu-west-1', endpoint: s3.endpoint, devStaticCredentials: true },
      healthIntervalSeconds: 2,
    });
    agent = await AgentProcess.withConfig(stack.workDir, config);
    agent.start();
    await stack.subscriber.waitForCount(HEALTH, 1, 15_000);
  });
  afterAll(async () => {
    if (agent?.running) await agent.kill();
    await s3?.stop();
    await stack?.cleanup();
    await rm(s3Dir, { recursive: true, force: true });
  });

  async function press(): Promise<number> {
    const response = await fetch(`${controlUrl}/press`, { method: 'POST' });
    expect(response.status).toBe(202);
    return Date.now();
  }

  function coffeeEvents(): CoffeeEvent[] {
    return stack.subscriber.payloadsOn(COFFEE).map((payload) => JSON.parse(payload) as CoffeeEvent);
  }

  it('uploads the photo under the device prefix with its metadata and publishes a captured event', async () => {
    const pressedAt = await press();
    await stack.subscriber.waitForCount(COFFEE, 1, 20_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${agent.transcript()}`);
    });
    const [event] = coffeeEvents();
    expect(validateCoffeeEvent(event)).toMatchObject({ ok: true });
    expect(event).toMatchObject({ deviceId: THING, trigger: 'http', outcome: 'captured', reason: null });
    expect(Date.parse(event?.pressedAt ?? '')).toBeGreaterThanOrEqual(pressedAt - 1000);
    expect(event?.photoKey).toMatch(
      new RegExp(`^photos/${THING}/\\d{4}/\\d{2}/\\d{2}/${event?.eventId}\\.jpg$`),
    );

    // The upload follows the capture; wait until the agent says it is done.
    const deadline = Date.now() + 15_000;
    while (agent.logsMatching('photo uploaded').length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const photo = await getPhoto(s3.endpoint, event?.photoKey ?? '');
    expect(photo.contentType).toBe('image/jpeg');
    expect(photo.metadata).toEqual({
      [PHOTO_METADATA.deviceId]: THING,
      [PHOTO_METADATA.eventId]: event?.eventId,
      [PHOTO_METADATA.capturedAt]: event?.capturedAt,
    });
    expect(checkJpeg(photo.body)).toMatchObject({ width: 1280, height: 720 });
  });

  it('reports a press during a capture as skipped and shows the pipeline in health and status', async () => {
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the 500 ms cooldown of the last capture
    await press();
    await press(); // mid-countdown
    await stack.subscriber.waitForCount(COFFEE, 3, 20_000);
    const outcomes = coffeeEvents()
      .slice(1)
      .map((event) => event.outcome)
      .sort();
    expect(outcomes).toEqual(['captured', 'skipped']);
    for (const event of coffeeEvents()) expect(validateCoffeeEvent(event).ok).toBe(true);

    // Health every 2 s: wait for one that counts the skipped press.
    await stack.subscriber.waitFor(
      (messages) =>
        messages.some(
          (m) =>
            m.topic === HEALTH &&
            (JSON.parse(m.payload.toString()) as { skippedPresses?: number }).skippedPresses === 1,
        ),
      10_000,
      'health with the skipped press',
    );
    const health = JSON.parse(stack.subscriber.payloadsOn(HEALTH).at(-1) ?? '{}');
    expect(validateHealthMessage(health)).toMatchObject({ ok: true });
    expect(health).toMatchObject({ captureFailures: 0, skippedPresses: 1, outboxDropped: 0 });

    // The status file is rewritten every 5 s.
    let status = await readStatusFile(join(stack.workDir, 'state'));
    for (let i = 0; i < 70 && status?.coffee?.presses !== 3; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await readStatusFile(join(stack.workDir, 'state'));
    }
    expect(status?.coffee).toMatchObject({ presses: 3, skippedPresses: 1, captureFailures: 0 });
    const { code } = await agent.terminate();
    expect(code).toBe(0);
  });
});
