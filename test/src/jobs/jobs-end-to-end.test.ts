import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TOPIC_PREFIX, type UpdateJobExecutionRequest } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_RESTART_REQUESTED } from '../../../device/src/exit-codes.js';
import { createLogger } from '../../../device/src/ports/logger.js';
import { EmbeddedBroker } from '../../../local/src/broker/embedded-broker.js';
import { aedesMqtt } from '../../../local/src/iot-core/in-process-mqtt.js';
import { JobsService } from '../../../local/src/iot-core/jobs-service.js';
import { agentConfigFor } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import type { TestBroker } from '../harness/test-broker.js';
import { createTestPki, type TestPki } from '../harness/test-pki.js';

const THING = 'coffee-pi-jobs';

interface SeenUpdate {
  jobId: string;
  request: UpdateJobExecutionRequest;
}

/**
 * The real agent process against the local stack's jobs service (local/src/iot-core) on the
 * embedded broker: what a device does with jobs when it is killed or restarted in the middle.
 */
describe('jobs end to end: the agent process and the local jobs service', { timeout: 90_000 }, () => {
  let dir: string;
  let pki: TestPki;
  let broker: EmbeddedBroker;
  let jobs: JobsService;
  let updates: SeenUpdate[];
  let accepted: { jobId: string; status: string }[];
  const agents: AgentProcess[] = [];
  const unsubscribes: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-jobs-e2e-'));
    pki = await createTestPki(join(dir, 'pki'), [THING]);
    broker = new EmbeddedBroker({
      port: 0,
      caPath: pki.trusted.caPath,
      certPath: pki.trusted.server.certPath,
      keyPath: pki.trusted.server.keyPath,
      logger: createLogger('silent'),
      // As the stack runs it: the device may use its own jobs topics only.
      thingPolicy: { topicPrefix: DEFAULT_TOPIC_PREFIX },
    });
    await broker.start();
  });
  afterAll(async () => {
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) if (agent.running) await agent.kill();
    for (const unsubscribe of unsubscribes.splice(0)) await unsubscribe();
    await jobs?.stop();
  });

  /** A fresh jobs file and state directory per test; every update request and answer recorded. */
  async function setUp(name: string, overrides: Record<string, unknown> = {}): Promise<() => AgentProcess> {
    const mqtt = aedesMqtt(broker.aedes);
    jobs = new JobsService({ mqtt, path: join(dir, `${name}-jobs.json`), logger: createLogger('silent') });
    await jobs.start();
    updates = [];
    accepted = [];
    const tap = async (filter: string, onMessage: (topic: string, payload: Buffer) => void) => {
      unsubscribes.push(await mqtt.subscribe(filter, onMessage));
    };
    await tap(`$aws/things/${THING}/jobs/+/update`, (topic, payload) => {
      updates.push({ jobId: topic.split('/')[4] as string, request: JSON.parse(payload.toString()) });
    });
    await tap(`$aws/things/${THING}/jobs/+/update/accepted`, (topic, payload) => {
      const body = JSON.parse(payload.toString()) as { executionState?: { status: string } };
      accepted.push({ jobId: topic.split('/')[4] as string, status: body.executionState?.status ?? '?' });
    });
    const endpoint = { host: '127.0.0.1', port: broker.port, pki } as unknown as TestBroker;
    const config = agentConfigFor(endpoint, THING, join(dir, `${name}-state`), 'mqtt.js', overrides);
    const agentDir = join(dir, name);
    const first = await AgentProcess.withConfig(agentDir, config);
    return () => {
      const agent = new AgentProcess(first.configPath);
      agents.push(agent);
      agent.start();
      return agent;
    };
  }

  async function until(what: string, condition: () => boolean, agent: AgentProcess, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${agent.transcript()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const execution = (jobId: string) => jobs.describeJob(jobId).executions[0];
  const terminalAccepted = (jobId: string) =>
    accepted.filter((a) => a.jobId === jobId && a.status !== 'IN_PROGRESS');

  it('a capture-photo killed mid-capture fails cleanly after the restart and never takes a second photo', async () => {
    // A 9 s countdown: the kill lands between the press and the photo.
    const startAgent = await setUp('photo', { coffee: { countdownSeconds: 9, cooldownMs: 500 } });
    await jobs.createJob({ jobId: 'photo-now', document: { operation: 'capture-photo' }, targets: [THING] });
    const first = startAgent();
    await until(
      'the capture to start',
      () => updates.some((u) => u.jobId === 'photo-now' && u.request.statusDetails?.step === 'capturing'),
      first,
    );
    await first.kill(); // SIGKILL: like a power cut

    const second = startAgent();
    await until('the job to end', () => terminalAccepted('photo-now').length > 0, second);
    expect(execution('photo-now')).toMatchObject({ status: 'FAILED' });
    expect(execution('photo-now')?.statusDetails?.reason).toMatch(/no second photo/);
    expect(terminalAccepted('photo-now')).toEqual([{ jobId: 'photo-now', status: 'FAILED' }]);
    // The second process never pressed: no countdown, no capture.
    expect(second.logsMatching('coffee press: counting down')).toEqual([]);
    expect(second.logsMatching('jobs: resuming an interrupted job')).toHaveLength(1);
  });

  it('refuses an operation outside the allow-list, applies set-config live, and finishes a restart job after restarting', async () => {
    const startAgent = await setUp('ops');
    await jobs.createJob({
      jobId: 'evil',
      document: { operation: 'shell', command: 'id' },
      targets: [THING],
    });
    await jobs.createJob({
      jobId: 'tune',
      document: { operation: 'set-config', config: { batchSeconds: 3 } },
      targets: [THING],
    });
    await jobs.createJob({ jobId: 'bounce', document: { operation: 'restart' }, targets: [THING] });
    const first = startAgent();

    const exit = await first.waitForExit();
    expect(exit.code, first.transcript()).toBe(EXIT_RESTART_REQUESTED);
    expect(execution('evil')).toMatchObject({ status: 'REJECTED' });
    expect(execution('evil')?.statusDetails?.reason).toMatch(/operation "shell" is not allowed/);
    expect(execution('tune')).toMatchObject({
      status: 'SUCCEEDED',
      statusDetails: { applied: '{"batchSeconds":3}' },
    });
    expect(execution('bounce')).toMatchObject({ status: 'IN_PROGRESS' });

    const second = startAgent(); // what systemd does on exit code 75
    await until('the restart job to end', () => terminalAccepted('bounce').length > 0, second);
    const bounced = execution('bounce');
    expect(bounced?.status).toBe('SUCCEEDED');
    expect(bounced?.statusDetails?.restartedFrom).toMatch(/^[0-9a-f-]{36}$/);
    expect(bounced?.statusDetails?.bootId).not.toBe(bounced?.statusDetails?.restartedFrom);
    for (const jobId of ['evil', 'tune', 'bounce']) expect(terminalAccepted(jobId)).toHaveLength(1);
    // Every update carried the version the service last gave.
    expect(updates.every((u) => typeof u.request.expectedVersion === 'number')).toBe(true);
  });
});
