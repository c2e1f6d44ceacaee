import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREATE_CERTIFICATE_FROM_CSR_TOPICS, parseTelemetryEnvelope } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, type SamplerHandle } from '../agent.js';
import type { JobOutcome, JobRun } from '../jobs/job-handler.js';
import { systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { TEST_AGENT_SETTINGS } from '../testing/agent-settings.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { MemorySpool } from '../testing/memory-spool.js';
import { sampleReading } from '../testing/readings.js';
import { TestCa } from '../testing/test-ca.js';
import { MqttConnectError } from '../transport/transport-port.js';
import { certificateIdOf, keyMatchesCertificate } from './certificate-id.js';
import { CertificateRotation } from './certificate-rotation.js';
import { createKeyAndCsr } from './csr.js';
import { ReconnectingTransport } from './reconnecting-transport.js';
import { RotateCertHandler } from './rotate-cert-handler.js';
import { type IdentityPaths, RotationFiles } from './rotation-files.js';

const BOOT = '11111111-1111-4111-8111-111111111111';
const THING = TEST_AGENT_SETTINGS.thingName;
const REPORT_TOPIC = `${TEST_AGENT_SETTINGS.topicPrefix}/${THING}/certificate`;
const TELEMETRY_TOPIC = `${TEST_AGENT_SETTINGS.topicPrefix}/${THING}/telemetry`;
const DEADLINE_MS = 20_000;

// Captured before fake timers replace it: key generation, openssl and file work run on the real
// event loop, so each step of fake time leaves them a little real time.
const realSetTimeout = globalThis.setTimeout;
const realTurn = () => new Promise<void>((resolve) => realSetTimeout(resolve, 1));

const ca = new TestCa();
afterAll(() => ca.dispose());

/**
 * IoT Core as the device sees it: it reads the certificate file at every connect (as the real
 * transports do), refuses certificates the test marks as not attached, and answers
 * CreateCertificateFromCsr by signing the request with the test CA.
 */
class FakeIotCore extends FakeTransport {
  /** The certificate id each successful connection used, in order. */
  readonly connections: string[] = [];
  readonly refused = new Set<string>();
  /** Every report with the certificate of the connection that sent it. */
  readonly reports: Array<{ report: Record<string, unknown>; sentWith: string }> = [];
  /** Until false, CreateCertificateFromCsr gets no answer (a crash before it comes). */
  answerCsr = true;

  constructor(private readonly identity: IdentityPaths) {
    super();
    this.onPublish = (topic, payload) => this.answer(topic, payload);
  }

  override async connect(): Promise<void> {
    const id = certificateIdOf(readFileSync(this.identity.cert, 'utf8'));
    if (
      !keyMatchesCertificate(
        readFileSync(this.identity.cert, 'utf8'),
        readFileSync(this.identity.key, 'utf8'),
      )
    ) {
      this.connectAttempts += 1;
      throw new MqttConnectError('TLS handshake failed: key does not match certificate');
    }
    if (this.refused.has(id)) {
      this.connectAttempts += 1;
      throw new MqttConnectError(`certificate ${id} is not attached to the thing`);
    }
    await super.connect();
    this.connections.push(id);
  }

  private answer(topic: string, payload: string): void {
    if (topic === REPORT_TOPIC) {
      this.reports.push({ report: JSON.parse(payload), sentWith: this.connections.at(-1) ?? '' });
    }
    if (topic === CREATE_CERTIFICATE_FROM_CSR_TOPICS.request && this.answerCsr) {
      const { certificateSigningRequest } = JSON.parse(payload) as { certificateSigningRequest: string };
      const certificatePem = ca.sign(certificateSigningRequest);
      this.deliver(CREATE_CERTIFICATE_FROM_CSR_TOPICS.accepted, {
        certificateId: certificateIdOf(certificatePem),
        certificatePem,
        certificateOwnershipToken: 'token',
      });
    }
  }

  telemetrySeqs(): number[] {
    return this.acknowledged
      .filter((m) => m.topic === TELEMETRY_TOPIC)
      .flatMap((m) => parseTelemetryEnvelope(m.payload).readings.map((r) => r.seq));
  }
}

function fakeSampler(spool: MemorySpool, onReading: () => void): SamplerHandle {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    stats: () => ({ sensorErrors: 0 }),
    start() {
      timer = setInterval(() => {
        spool.append(sampleReading(Date.now()), BOOT);
        onReading();
      }, 1000);
    },
    async stop() {
      clearInterval(timer);
    },
  };
}

/** One agent over the identity in `dir`: a new Device over the same dir is the agent after a crash. */
class Device {
  readonly identity: IdentityPaths;
  readonly iot: FakeIotCore;
  readonly spool = new MemorySpool();
  readonly rotation: CertificateRotation;
  readonly agent: Agent;
  readonly checkpoints: Array<Record<string, string>> = [];
  /** The jobs service aborts a running job when the agent shuts down. */
  readonly shutdown = new AbortController();

  constructor(
    dir: string,
    iot?: FakeIotCore,
    private readonly crashAt?: (state: Record<string, string>) => boolean,
  ) {
    this.identity = { cert: join(dir, 'certs', 'cert.pem'), key: join(dir, 'certs', 'key.pem') };
    this.iot = iot ?? new FakeIotCore(this.identity);
    const transport = new ReconnectingTransport(this.iot);
    this.rotation = new CertificateRotation({
      files: new RotationFiles(this.identity),
      thingName: THING,
      topicPrefix: TEST_AGENT_SETTINGS.topicPrefix,
      reconnect: (reason) => transport.reconnect(reason),
      timers: systemTimers,
      logger: silentLogger(),
      connectDeadlineMs: DEADLINE_MS,
      // Generous: fake time runs on while openssl signs in real time.
      requestTimeoutMs: 120_000,
    });
    this.agent = new Agent({
      settings: TEST_AGENT_SETTINGS,
      spool: this.spool,
      transport,
      createSampler: (onReading) => fakeSampler(this.spool, onReading),
      services: [this.rotation],
      bootId: BOOT,
      agentVersion: '0.1.0',
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
    });
  }

  job(checkpoint?: Record<string, string>): JobRun {
    return {
      jobId: 'rotate-cert-1',
      document: { operation: 'rotate-cert' },
      signal: this.shutdown.signal,
      checkpoint,
      saveCheckpoint: async (state) => {
        if (this.crashAt?.(state)) throw new Error('power cut');
        this.checkpoints.push({ ...state });
      },
      progress: async () => undefined,
    };
  }

  run(checkpoint?: Record<string, string>): Promise<JobOutcome> {
    return new RotateCertHandler(this.rotation, THING).run(this.job(checkpoint));
  }

  pairInPlace(): { id: string; matches: boolean } {
    const cert = readFileSync(this.identity.cert, 'utf8');
    return {
      id: certificateIdOf(cert),
      matches: keyMatchesCertificate(cert, readFileSync(this.identity.key, 'utf8')),
    };
  }
}

/** Advances fake time in small steps, letting real file I/O and openssl finish between them. */
async function advance(ms: number, stepMs = 250): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    await vi.advanceTimersByTimeAsync(stepMs);
    for (let i = 0; i < 2; i += 1) await realTurn();
  }
}

/** Runs fake time until `promise` settles (or fails the test after `limitMs`). */
async function until<T>(promise: Promise<T>, limitMs = 60_000): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  tracked.catch(() => undefined);
  for (let elapsed = 0; !settled && elapsed < limitMs; elapsed += 250) await advance(250);
  if (!settled) throw new Error(`still pending after ${limitMs} ms of fake time`);
  return tracked;
}

async function makeIdentity(dir: string): Promise<string> {
  mkdirSync(join(dir, 'certs'), { recursive: true });
  const { privateKeyPem, csrPem } = await createKeyAndCsr(THING);
  const cert = ca.sign(csrPem);
  writeFileSync(join(dir, 'certs', 'key.pem'), privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'certs', 'cert.pem'), cert);
  return certificateIdOf(cert);
}

function expectEveryReadingOnce(seqs: number[], last: number): void {
  // At least once: a reading in flight when the connection switched may come twice, none is missing.
  expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  expect(seqs.length - new Set(seqs).size).toBeLessThanOrEqual(TEST_AGENT_SETTINGS.publish.maxInFlight);
}

describe('certificate rotation (rotate-cert job)', () => {
  let dir: string;
  let originalId: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rotation-'));
    originalId = await makeIdentity(dir);
    vi.useFakeTimers({
      now: Date.parse('2026-12-07T08:00:00.000Z'),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('switches to the new certificate without losing a reading, reporting connected only over the new connection', async () => {
    const device = new Device(dir);
    await device.rotation.recover();
    void device.agent.start();
    await advance(10_000);
    const outcome = await until(device.run());
    await advance(10_000);
    await device.agent.stop();

    expect(outcome.status).toBe('SUCCEEDED');
    const newId = outcome.details.certificateId;
    expect(newId).not.toBe(originalId);
    expect(outcome.details.previousCertificateId).toBe(originalId);
    expect(device.iot.connections).toEqual([originalId, newId]);
    // issued goes out with the old certificate; connected with the new one, and after it.
    expect(device.iot.reports).toEqual([
      {
        report: { phase: 'issued', certificateId: newId, previousCertificateId: originalId },
        sentWith: originalId,
      },
      {
        report: { phase: 'connected', certificateId: newId, previousCertificateId: originalId },
        sentWith: newId,
      },
    ]);
    expect(device.pairInPlace()).toEqual({ id: newId, matches: true });
    expect(existsSync(join(dir, 'certs', 'rotation', 'previous'))).toBe(false);
    expect(readFileSync(join(dir, 'certs', 'key.pem'), 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    const lastSeq = device.spool.stats().lastSeq;
    expect(lastSeq).toBeGreaterThanOrEqual(19);
    expectEveryReadingOnce(device.iot.telemetrySeqs(), lastSeq);
    expect(device.spool.stats().depth).toBe(0);
    expect(device.checkpoints.map((c) => c.step)).toEqual(['issued', 'reported', 'switched']);
  });

  it('puts the previous certificate back when the new one cannot connect before the deadline, and fails the job', async () => {
    const device = new Device(dir);
    await device.rotation.recover();
    void device.agent.start();
    await advance(5000);
    // Every certificate but the original is refused, as if the cloud never attached the new one.
    const connect = device.iot.connect.bind(device.iot);
    device.iot.connect = async () => {
      const id = certificateIdOf(readFileSync(device.identity.cert, 'utf8'));
      if (id !== originalId) device.iot.refused.add(id);
      return connect();
    };
    const outcome = await until(device.run(), DEADLINE_MS + 60_000);
    await advance(40_000);
    await device.agent.stop();

    expect(outcome.status).toBe('FAILED');
    expect(outcome.details.reason).toMatch(
      /did not connect within 20000 ms; the previous one is back in place/,
    );
    expect(device.pairInPlace()).toEqual({ id: originalId, matches: true });
    expect(device.iot.connections).toEqual([originalId, originalId]);
    expect(device.iot.reports.map((r) => r.report.phase)).toEqual(['issued']);
    expectEveryReadingOnce(device.iot.telemetrySeqs(), device.spool.stats().lastSeq);
    expect(device.spool.stats().depth).toBe(0);
  });

  it('after a power cut right after the certificate arrived, a new agent over the same files finishes the job', async () => {
    const first = new Device(dir, undefined, (state) => state.step === 'reported');
    await first.rotation.recover();
    void first.agent.start();
    await advance(2000);
    const outcome = await until(first.run());
    // The cut hit while recording the report: the job ends there, nothing switched.
    expect(outcome.status).toBe('FAILED');
    const checkpoint = first.checkpoints.at(-1);
    expect(checkpoint?.step).toBe('issued');
    await first.agent.stop();
    expect(first.pairInPlace()).toEqual({ id: originalId, matches: true });

    const second = new Device(dir);
    await second.rotation.recover();
    expect(second.pairInPlace()).toEqual({ id: originalId, matches: true });
    void second.agent.start();
    await advance(2000);
    const resumed = await until(second.run(checkpoint));
    await second.agent.stop();
    expect(resumed.status).toBe('SUCCEEDED');
    expect(resumed.details.certificateId).toBe(checkpoint?.certificateId);
    expect(second.pairInPlace()).toEqual({ id: checkpoint?.certificateId, matches: true });
    expect(second.iot.reports.map((r) => r.report.phase)).toEqual(['issued', 'connected']);
  });

  it('a power cut before the answer leaves only a key in rotation/next/, never in place; the rerun reuses it', async () => {
    const first = new Device(dir);
    first.iot.answerCsr = false;
    await first.rotation.recover();
    void first.agent.start();
    await advance(1000);
    const abandoned = first.run();
    const nextKeyPath = join(dir, 'certs', 'rotation', 'next', 'key.pem');
    for (
      let i = 0;
      i < 200 && first.iot.publishedTo(CREATE_CERTIFICATE_FROM_CSR_TOPICS.request).length === 0;
      i += 1
    ) {
      await advance(250);
    }
    expect(existsSync(nextKeyPath)).toBe(true);
    // The power cut: the request never got its answer.
    first.shutdown.abort(new Error('agent stopping'));
    await expect(abandoned).rejects.toThrow('agent stopping');
    await first.agent.stop();
    const nextKey = readFileSync(nextKeyPath, 'utf8');
    expect(first.pairInPlace()).toEqual({ id: originalId, matches: true });

    const second = new Device(dir);
    await second.rotation.recover();
    void second.agent.start();
    await advance(1000);
    const outcome = await until(second.run());
    await second.agent.stop();
    expect(outcome.status).toBe('SUCCEEDED');
    expect(readFileSync(join(dir, 'certs', 'key.pem'), 'utf8')).toBe(nextKey);
    expect(second.pairInPlace()).toMatchObject({ matches: true });
  });

  it('a power cut between the two renames of the switch is finished forward before the next connect', async () => {
    // Prepare a complete next/ pair with the real steps, then cut the switch after the key moved.
    const device = new Device(dir);
    const files = new RotationFiles(device.identity);
    const csr = await files.prepareNextKey(THING);
    const newId = await files.storeNextCertificate(ca.sign(csr));
    const rotationDir = join(dir, 'certs', 'rotation');
    mkdirSync(join(rotationDir, 'previous'));
    writeFileSync(join(rotationDir, 'previous', 'key.pem'), readFileSync(device.identity.key));
    writeFileSync(join(rotationDir, 'previous', 'cert.pem'), readFileSync(device.identity.cert));
    writeFileSync(
      join(rotationDir, 'state.json'),
      JSON.stringify({ phase: 'switching', certificateId: newId, previousCertificateId: originalId }),
    );
    renameSync(join(rotationDir, 'next', 'key.pem'), device.identity.key);
    expect(device.pairInPlace().matches).toBe(false);

    const after = new Device(dir);
    expect(await after.rotation.recover()).toMatchObject({ phase: 'switched', certificateId: newId });
    expect(after.pairInPlace()).toEqual({ id: newId, matches: true });
    // The job resumes from "reported" (its checkpoint before the switch) and waits for the outcome.
    void after.agent.start();
    const outcome = await until(
      after.run({ step: 'reported', certificateId: newId, previousCertificateId: originalId }),
    );
    await after.agent.stop();
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', details: { certificateId: newId } });
    expect(after.iot.connections).toEqual([newId]);
  });

  it('a power cut while restoring is finished at the next start: the previous pair is in place', async () => {
    const device = new Device(dir);
    const files = new RotationFiles(device.identity);
    const newId = await files.storeNextCertificate(ca.sign(await files.prepareNextKey(THING)));
    await files.switchToNext();
    const rotationDir = join(dir, 'certs', 'rotation');
    writeFileSync(
      join(rotationDir, 'state.json'),
      JSON.stringify({
        phase: 'restoring',
        certificateId: newId,
        previousCertificateId: originalId,
        reason: 'deadline',
      }),
    );
    renameSync(join(rotationDir, 'previous', 'key.pem'), device.identity.key);
    expect(device.pairInPlace().matches).toBe(false);

    const after = new Device(dir);
    expect(await after.rotation.recover()).toMatchObject({ phase: 'done', outcome: 'restored' });
    expect(after.pairInPlace()).toEqual({ id: originalId, matches: true });
  });
});
