import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TOPIC_PREFIX } from '@coffee-iot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../device/src/ports/logger.js';
import { EmbeddedBroker } from '../../../local/src/broker/embedded-broker.js';
import { writeDeviceConfig } from '../../../local/src/fleet/device-configs.js';
import { FleetProcess } from '../../../local/src/fleet/fleet-process.js';
import { aedesMqtt } from '../../../local/src/iot-core/in-process-mqtt.js';
import { JobsService } from '../../../local/src/iot-core/jobs-service.js';
import { ensureDevPki } from '../../../local/src/pki/pki.js';

const THING = 'coffee-pi-1';

/** The local stack's simulated fleet starts an agent again after a restart job, as systemd does. */
describe('a restart job on a simulated device', { timeout: 60_000 }, () => {
  let dir: string;
  let broker: EmbeddedBroker;
  let jobs: JobsService;
  let fleet: FleetProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-fleet-restart-'));
    const pki = await ensureDevPki(join(dir, 'pki'), { thingNames: [THING] });
    broker = new EmbeddedBroker({
      port: 0,
      caPath: pki.caPath,
      certPath: pki.server.certPath,
      keyPath: pki.server.keyPath,
      logger: createLogger('silent'),
      thingPolicy: { topicPrefix: DEFAULT_TOPIC_PREFIX },
    });
    await broker.start();
    jobs = new JobsService({
      mqtt: aedesMqtt(broker.aedes),
      path: join(dir, 'jobs.json'),
      logger: createLogger('silent'),
    });
    await jobs.start();
    const configPath = await writeDeviceConfig(join(dir, 'devices'), {
      thingName: THING,
      certificate: pki.clients[THING] as NonNullable<(typeof pki.clients)[string]>,
      caPath: pki.caPath,
      brokerPort: broker.port,
      s3Endpoint: 'http://127.0.0.1:9',
      controlPort: 0,
      countdownSeconds: 0,
      logLevel: 'silent',
    });
    fleet = new FleetProcess({
      specPath: join(dir, 'fleet.json'),
      spec: { configPaths: [configPath], logLevel: 'silent' },
      thingNames: [THING],
      logger: createLogger('silent'),
      restart: { minDelayMs: 200 },
    });
    await fleet.start();
  }, 60_000);
  afterAll(async () => {
    await fleet?.stop();
    await jobs?.stop();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends SUCCEEDED under a new boot id, in the same fleet process', async () => {
    const pid = fleet.pid;
    await jobs.createJob({ jobId: 'bounce', document: { operation: 'restart' }, targets: [THING] });
    await expect
      .poll(() => jobs.describeJob('bounce').executions[0]?.status, { timeout: 40_000, interval: 200 })
      .toBe('SUCCEEDED');
    const details = jobs.describeJob('bounce').executions[0]?.statusDetails;
    expect(details?.restartedFrom).toMatch(/^[0-9a-f-]{36}$/);
    expect(details?.bootId).not.toBe(details?.restartedFrom);
    // The agent was started again inside the fleet, not by a crash of the fleet process.
    expect(fleet.pid).toBe(pid);
    expect(fleet.counters()).toMatchObject({ crashes: 0 });
  });
});
