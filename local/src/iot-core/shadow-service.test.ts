import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shadowTopics } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureLogs } from '../testing/log-capture.js';
import { tempDir } from '../testing/temp-dir.js';
import { aedesMqtt } from './in-process-mqtt.js';
import { ShadowService, ShadowUpdateRejectedError } from './shadow-service.js';
import { type BrokerFixture, Inbox, ManualClock, startBrokerFixture } from './testing/iot-core-harness.js';
import { RecordingMqtt } from './testing/recording-mqtt.js';

const THING = 'coffee-pi-1';
const OTHER = 'coffee-pi-2';
const topics = shadowTopics(THING);

describe('ShadowService: the named shadow MQTT API on the embedded broker', () => {
  let fixture: BrokerFixture;
  let service: ShadowService;
  let clock: ManualClock;
  let inbox: Inbox;
  let directory: string;
  let run = 0;

  beforeAll(async () => {
    fixture = await startBrokerFixture('shadow', [THING, OTHER]);
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  beforeEach(async () => {
    run += 1;
    directory = join(fixture.temp.dir, `shadows-${run}`);
    clock = new ManualClock();
    service = new ShadowService({
      mqtt: aedesMqtt(fixture.broker.aedes),
      directory,
      logger: fixture.logs.logger,
      clock,
    });
    await service.start();
    inbox = new Inbox(await fixture.connect(THING));
    await inbox.subscribe(`${topics.all.slice(0, -2)}/get/+`, `${topics.all.slice(0, -2)}/update/+`);
  });

  afterEach(async () => {
    await Promise.all(fixture.clients.splice(0).map((client) => client.endAsync(true)));
    await service.stop();
  });

  it('answers get with 404 before the shadow exists, echoing the client token', async () => {
    await inbox.publish(topics.get, { clientToken: 'g1' });

    expect(await inbox.next(topics.getRejected)).toEqual({
      code: 404,
      message: `No shadow exists with name: '${THING}~config'`,
      timestamp: clock.seconds,
      clientToken: 'g1',
    });
  });

  it('accepts an update, then get returns desired, reported, delta, per-key metadata and the version', async () => {
    await inbox.publish(topics.update, {
      state: { desired: { intervalMs: 500, logLevel: 'debug' }, reported: { intervalMs: 1000 } },
      clientToken: 'u1',
    });
    expect(await inbox.next(topics.updateAccepted)).toEqual({
      state: { desired: { intervalMs: 500, logLevel: 'debug' }, reported: { intervalMs: 1000 } },
      metadata: {
        desired: { intervalMs: { timestamp: clock.seconds }, logLevel: { timestamp: clock.seconds } },
        reported: { intervalMs: { timestamp: clock.seconds } },
      },
      version: 1,
      timestamp: clock.seconds,
      clientToken: 'u1',
    });
    const updatedAt = clock.seconds;
    clock.ms += 5000;

    await inbox.publish(topics.get, '');

    expect(await inbox.next(topics.getAccepted)).toEqual({
      state: {
        desired: { intervalMs: 500, logLevel: 'debug' },
        reported: { intervalMs: 1000 },
        delta: { intervalMs: 500, logLevel: 'debug' },
      },
      metadata: {
        desired: { intervalMs: { timestamp: updatedAt }, logLevel: { timestamp: updatedAt } },
        reported: { intervalMs: { timestamp: updatedAt } },
      },
      version: 1,
      timestamp: updatedAt + 5,
    });
  });

  it('publishes update/delta with only the keys where desired differs from reported', async () => {
    await inbox.publish(topics.update, { state: { reported: { intervalMs: 1000, batchSeconds: 5 } } });
    await inbox.next(topics.updateAccepted);

    await inbox.publish(topics.update, {
      state: { desired: { intervalMs: 1000, batchSeconds: 10 } },
      clientToken: 'd',
    });

    await inbox.next(topics.updateAccepted);
    expect(await inbox.next(topics.updateDelta)).toEqual({
      state: { batchSeconds: 10 },
      metadata: { batchSeconds: { timestamp: clock.seconds } },
      version: 2,
      timestamp: clock.seconds,
      clientToken: 'd',
    });
  });

  it('publishes no delta when desired equals reported, nor for a reported-only update', async () => {
    await inbox.publish(topics.update, { state: { reported: { intervalMs: 1000 } } });
    await inbox.publish(topics.update, { state: { desired: { intervalMs: 1000 } } });
    await inbox.publish(topics.update, { state: { reported: { intervalMs: 1000, logLevel: 'info' } } });
    for (let i = 0; i < 3; i++) await inbox.next(topics.updateAccepted);
    // Answers come in order: the documents of the last update close the sequence.
    for (let i = 0; i < 3; i++) await inbox.next(topics.updateDocuments);

    expect(inbox.topics()).not.toContain(topics.updateDelta);
    expect(service.counters.deltas).toBe(0);
  });

  it('merges nested objects key by key and deletes keys set to null', async () => {
    await inbox.publish(topics.update, {
      state: { desired: { countdown: { seconds: 3, beep: true }, logLevel: 'info', intervalMs: 1000 } },
    });
    await inbox.next(topics.updateAccepted);
    await inbox.publish(topics.update, {
      state: { desired: { countdown: { seconds: 5 }, logLevel: null } },
    });
    await inbox.next(topics.updateAccepted);

    const document = await service.getDocument(THING);

    expect(document?.state.desired).toEqual({ countdown: { seconds: 5, beep: true }, intervalMs: 1000 });
    expect(document?.metadata.desired).toEqual({
      countdown: { seconds: { timestamp: clock.seconds }, beep: { timestamp: clock.seconds } },
      intervalMs: { timestamp: clock.seconds },
    });
    expect(document?.version).toBe(2);
  });

  it('publishes update/documents with the previous and the current document', async () => {
    await inbox.publish(topics.update, { state: { reported: { intervalMs: 1000 } } });
    const first = (await inbox.next(topics.updateDocuments)) as Record<string, unknown>;
    await inbox.publish(topics.update, { state: { reported: { intervalMs: 500 } } });

    expect(first.previous).toBeUndefined();
    expect(await inbox.next(topics.updateDocuments)).toEqual({
      previous: {
        state: { reported: { intervalMs: 1000 } },
        metadata: { reported: { intervalMs: { timestamp: clock.seconds } } },
        version: 1,
      },
      current: {
        state: { reported: { intervalMs: 500 } },
        metadata: { reported: { intervalMs: { timestamp: clock.seconds } } },
        version: 2,
      },
      timestamp: clock.seconds,
    });
  });

  it('rejects an update with a stale version with 409 and leaves the document alone', async () => {
    await inbox.publish(topics.update, { state: { desired: { intervalMs: 1000 } } });
    await inbox.next(topics.updateAccepted);

    await inbox.publish(topics.update, {
      state: { desired: { intervalMs: 5 } },
      version: 0,
      clientToken: 'v',
    });

    expect(await inbox.next(topics.updateRejected)).toEqual({
      code: 409,
      message: 'Version conflict',
      timestamp: clock.seconds,
      clientToken: 'v',
    });
    expect((await service.getDocument(THING))?.state.desired).toEqual({ intervalMs: 1000 });

    await inbox.publish(topics.update, { state: { desired: { intervalMs: 5 } }, version: 1 });
    expect(await inbox.next(topics.updateAccepted)).toMatchObject({ version: 2 });
  });

  it.each([
    ['not JSON', '{"state": ', 'Payload contains invalid json'],
    ['no state', { clientToken: 'x' }, 'Missing required node: state'],
    ['an unknown state node', { state: { delta: { a: 1 } } }, "State contains an invalid node: 'delta'"],
    [
      'desired that is not an object',
      { state: { desired: 5 } },
      'Invalid desired node: must be an object or null',
    ],
    [
      'a negative version',
      { state: { desired: { a: 1 } }, version: -1 },
      'Invalid version: must be a non-negative integer',
    ],
  ])('rejects an update with %s with 400', async (_case, body, message) => {
    await inbox.publish(topics.update, body);

    expect(await inbox.next(topics.updateRejected)).toMatchObject({ code: 400, message });
    expect(await service.getDocument(THING)).toBeNull();
  });

  it('keeps documents across a service restart (on disk, written atomically)', async () => {
    await service.setDesired(THING, { batchSeconds: 10 });
    await inbox.publish(topics.update, { state: { reported: { batchSeconds: 5 } } });
    await inbox.next(topics.updateDocuments);
    await inbox.next(topics.updateDocuments);
    await service.stop();

    const restarted = new ShadowService({
      mqtt: aedesMqtt(fixture.broker.aedes),
      directory,
      logger: fixture.logs.logger,
      clock,
    });
    await restarted.start();
    service = restarted;
    await inbox.publish(topics.get, {});

    expect(await inbox.next(topics.getAccepted)).toMatchObject({
      state: { desired: { batchSeconds: 10 }, reported: { batchSeconds: 5 }, delta: { batchSeconds: 10 } },
      version: 2,
    });
    const onDisk = JSON.parse(await readFile(join(directory, THING, 'config.json'), 'utf8'));
    expect(onDisk.version).toBe(2);
  });

  it('answers 500 and counts it when the document cannot be read, and keeps serving', async () => {
    await service.stop();
    const blocked = join(fixture.temp.dir, `not-a-directory-${run}`);
    await writeFile(blocked, 'a file where the shadows directory should be');
    service = new ShadowService({
      mqtt: aedesMqtt(fixture.broker.aedes),
      directory: blocked,
      logger: fixture.logs.logger,
      clock,
    });
    await service.start();

    await inbox.publish(topics.update, { state: { desired: { a: 1 } }, clientToken: 'e' });

    expect(await inbox.next(topics.updateRejected)).toEqual({
      code: 500,
      message: 'Internal service failure',
      timestamp: clock.seconds,
      clientToken: 'e',
    });
    expect(service.counters.rejected).toBe(1);
    expect(
      fixture.logs.lines.some((line) => line.msg === 'shadow document could not be read or written'),
    ).toBe(true);
  });

  it('setDesired publishes the delta to the device and returns the whole document', async () => {
    const document = await service.setDesired(THING, { intervalMs: 250 });

    expect(document.state).toEqual({ desired: { intervalMs: 250 }, delta: { intervalMs: 250 } });
    expect(await inbox.next(topics.updateDelta)).toMatchObject({ state: { intervalMs: 250 }, version: 1 });
  });

  it('setDesired throws ShadowUpdateRejectedError naming the reason', async () => {
    await expect(service.setDesired(THING, 5 as never)).rejects.toBeInstanceOf(ShadowUpdateRejectedError);
  });
});

describe('ShadowService under the thing policy', () => {
  let fixture: BrokerFixture;
  let service: ShadowService;

  beforeAll(async () => {
    fixture = await startBrokerFixture('shadow-policy', [THING, OTHER]);
    service = new ShadowService({
      mqtt: aedesMqtt(fixture.broker.aedes),
      directory: join(fixture.temp.dir, 'shadows'),
      logger: fixture.logs.logger,
    });
    await service.start();
    await service.setDesired(OTHER, { intervalMs: 100 });
  });

  afterAll(async () => {
    await service?.stop();
    await fixture?.stop();
  });

  it("refuses a device's subscription to another thing's shadow answers", async () => {
    const inbox = new Inbox(await fixture.connect(THING));
    const other = shadowTopics(OTHER);

    await expect(inbox.subscribe(other.getAccepted)).rejects.toThrow(/Subscribe error|refused/);
    await expect(inbox.subscribe(other.updateDelta)).rejects.toThrow(/Subscribe error|refused/);
  });

  it("drops a device that publishes to another thing's shadow, and the shadow stays as it was", async () => {
    const client = await fixture.connect(THING);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));

    client.publish(shadowTopics(OTHER).update, JSON.stringify({ state: { desired: { intervalMs: 1 } } }), {
      qos: 1,
    });
    await closed;

    expect((await service.getDocument(OTHER))?.state.desired).toEqual({ intervalMs: 100 });
    expect(fixture.broker.policyRefusals.publish).toBeGreaterThan(0);
  });
});

describe('ShadowService delete (IoT Core answers it; no device policy grants it)', () => {
  it('deletes the document, answers delete/accepted with its last version, then 404', async () => {
    const temp = await tempDir('shadow-delete');
    const mqtt = new RecordingMqtt();
    const clock = new ManualClock();
    const service = new ShadowService({ mqtt, directory: temp.dir, logger: captureLogs().logger, clock });
    await service.start();
    try {
      await service.setDesired(THING, { intervalMs: 100 });

      mqtt.deliver(topics.delete, Buffer.from('{"clientToken":"del"}'));
      await service.getDocument(THING);
      mqtt.deliver(topics.delete, Buffer.from(''));
      await service.getDocument(THING);

      expect(mqtt.bodiesOn(`${topics.delete}/accepted`)).toEqual([
        { version: 1, timestamp: clock.seconds, clientToken: 'del' },
      ]);
      expect(mqtt.bodiesOn(`${topics.delete}/rejected`)).toEqual([expect.objectContaining({ code: 404 })]);
      expect(await service.getDocument(THING)).toBeNull();
    } finally {
      await service.stop();
      await temp.remove();
    }
  });
});
