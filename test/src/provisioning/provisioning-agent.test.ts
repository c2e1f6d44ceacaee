import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_PROVISIONING_TEMPLATE,
  DEFAULT_TOPIC_PREFIX,
  parseTelemetryEnvelope,
} from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../../device/src/agent-runner.js';
import { certificateIdOf, keyMatchesCertificate } from '../../../device/src/certificates/certificate-id.js';
import { loadConfig } from '../../../device/src/config/load-config.js';
import { EXIT_PROVISIONING_REFUSED, exitCodeFor } from '../../../device/src/exit-codes.js';
import { createLogger } from '../../../device/src/ports/logger.js';
import type { ProcessHooks } from '../../../device/src/process-hooks.js';
import { ProvisioningRefusedError } from '../../../device/src/provisioning/claim-provisioning.js';
import { aedesMqtt } from '../../../local/src/iot-core/in-process-mqtt.js';
import { JobsService } from '../../../local/src/iot-core/jobs-service.js';
import { ensureClaimCertificate } from '../../../local/src/pki/pki.js';
import { peerCertificateId } from '../../../local/src/provisioning/certificate-id.js';
import {
  type ProvisioningFixture,
  startProvisioningFixture,
} from '../../../local/src/provisioning/testing/provisioning-fixture.js';
import { type TempDir, tempDir } from '../../../local/src/testing/temp-dir.js';

const THING = 'coffee-pi-rotate';

/** Polls (real time: a real agent and broker) until `value()` is defined, or fails naming `what`. */
async function eventually<T>(
  value: () => T | undefined,
  what: string,
  log: () => string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = value();
    if (result !== undefined) return result;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM on demand, so the agent shuts down as under systemd. */
function manualHooks(): ProcessHooks & { stop(): void } {
  let listener: ((signal: NodeJS.Signals) => void) | undefined;
  return {
    pid: process.pid,
    onShutdownSignal(next) {
      listener = next;
      return () => {
        listener = undefined;
      };
    },
    stop: () => listener?.('SIGTERM'),
  };
}

/**
 * The real agent (in process) on the local stack's certificate side: the embedded broker enforcing
 * the certificate registry, and the provisioning service answering CreateCertificateFromCsr,
 * RegisterThing (with the serial allow-list) and the device's rotation reports.
 */
describe('certificates end to end: the real agent and the local provisioning service', {
  timeout: 90_000,
}, () => {
  let temp: TempDir;
  let fixture: ProvisioningFixture;
  let agentLog = '';
  const unsubscribes: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    temp = await tempDir('certificates-e2e');
    fixture = await startProvisioningFixture(temp.dir, [THING], createLogger('silent'));
    agentLog = '';
  });
  afterEach(async () => {
    for (const unsubscribe of unsubscribes.splice(0)) await unsubscribe();
    await fixture.stop();
    await temp.remove();
  });

  async function tap(filter: string, onMessage: (topic: string, payload: Buffer) => void) {
    unsubscribes.push(await aedesMqtt(fixture.broker.aedes).subscribe(filter, onMessage));
  }

  async function startAgent(settings: Record<string, unknown>) {
    await writeFile(
      join(temp.dir, 'agent.json'),
      JSON.stringify({
        endpoint: '127.0.0.1',
        port: fixture.broker.port,
        rootCa: fixture.pki.caPath,
        stateDir: join(temp.dir, 'state'),
        transport: 'mqtt.js',
        mock: true,
        mockSeed: 1,
        intervalMs: 1000,
        clockSyncWaitSeconds: 0,
        reconnect: { minMs: 200, maxMs: 2000, stableAfterMs: 5000 },
        ...settings,
      }),
    );
    const loaded = loadConfig({ configPath: join(temp.dir, 'agent.json'), env: {} });
    const logger = createLogger('info', {
      write: (line: string) => {
        agentLog += line;
        return true;
      },
    } as NodeJS.WritableStream);
    const hooks = manualHooks();
    const run = runAgent(loaded.config, {
      logger,
      warnings: loaded.warnings,
      processHooks: hooks,
      triggers: [],
    });
    run.catch(() => undefined);
    return {
      run,
      stop: () => {
        hooks.stop();
        return run;
      },
    };
  }

  it('rotates at 1 Hz with no reading lost; the old certificate is retired only after the new one connected', async () => {
    const jobs = new JobsService({
      mqtt: aedesMqtt(fixture.broker.aedes),
      path: join(temp.dir, 'jobs.json'),
      logger: createLogger('silent'),
    });
    await jobs.start();
    // The certificate files live where the agent may replace them.
    const certs = join(temp.dir, 'certs');
    await mkdir(certs);
    const client = fixture.pki.clients[THING];
    if (!client) throw new Error('no dev-PKI certificate');
    await copyFile(client.certPath, join(certs, 'cert.pem'));
    await copyFile(client.keyPath, join(certs, 'key.pem'));
    const oldId = certificateIdOf(await readFile(client.certPath, 'utf8'));

    const seqs: number[] = [];
    await tap(`${DEFAULT_TOPIC_PREFIX}/${THING}/telemetry`, (_topic, payload) => {
      seqs.push(...parseTelemetryEnvelope(payload.toString()).readings.map((r) => r.seq));
    });
    // What the registry says about the old certificate when each report arrives.
    const reports: Array<{ phase: string; certificateId: string; oldStatus: string | undefined }> = [];
    await tap(`${DEFAULT_TOPIC_PREFIX}/${THING}/certificate`, (_topic, payload) => {
      const report = JSON.parse(payload.toString()) as { phase: string; certificateId: string };
      reports.push({ ...report, oldStatus: fixture.registry.get(oldId)?.status });
    });

    // Which certificate each connection of the thing used, and the old one's status at that moment.
    const connections: Array<{ certificateId: string | undefined; oldStatus: string | undefined }> = [];
    fixture.broker.aedes.on('client', (connected) => {
      if (connected.id !== THING) return;
      connections.push({
        certificateId: peerCertificateId(connected.conn),
        oldStatus: fixture.registry.get(oldId)?.status,
      });
    });

    const agent = await startAgent({
      thingName: THING,
      cert: join(certs, 'cert.pem'),
      key: join(certs, 'key.pem'),
    });
    try {
      await eventually(
        () => (seqs.length >= 3 ? true : undefined),
        'telemetry before the rotation',
        () => agentLog,
      );
      await jobs.createJob({ jobId: 'rotate-1', document: { operation: 'rotate-cert' }, targets: [THING] });
      const done = await eventually(
        () => {
          const execution = jobs.describeJob('rotate-1').executions[0];
          return execution && execution.status !== 'IN_PROGRESS' && execution.status !== 'QUEUED'
            ? execution
            : undefined;
        },
        'the rotate-cert job to finish',
        () => agentLog,
      );
      expect(done.status, agentLog).toBe('SUCCEEDED');
      const newId = done.statusDetails?.certificateId as string;
      const seqAtSwitch = Math.max(...seqs);
      await eventually(
        () => (Math.max(...seqs) >= seqAtSwitch + 3 ? true : undefined),
        'telemetry after',
        () => agentLog,
      );

      expect(newId).not.toBe(oldId);
      expect(certificateIdOf(await readFile(join(certs, 'cert.pem'), 'utf8'))).toBe(newId);
      expect(
        keyMatchesCertificate(
          await readFile(join(certs, 'cert.pem'), 'utf8'),
          await readFile(join(certs, 'key.pem'), 'utf8'),
        ),
      ).toBe(true);
      // The old certificate is still active when the new one is issued and when it first connects;
      // the service retires it on the connected report, which only a new-certificate connection sends.
      expect(reports.map(({ oldStatus: _, ...report }) => report)).toEqual([
        { phase: 'issued', certificateId: newId, previousCertificateId: oldId },
        { phase: 'connected', certificateId: newId, previousCertificateId: oldId },
      ]);
      expect(reports[0]?.oldStatus).toBe('ACTIVE');
      expect(connections).toEqual([
        { certificateId: oldId, oldStatus: 'ACTIVE' },
        { certificateId: newId, oldStatus: 'ACTIVE' },
      ]);
      await eventually(
        () => (fixture.registry.get(oldId)?.status === 'INACTIVE' ? true : undefined),
        'the old certificate retired',
        () => agentLog,
      );
      expect(fixture.registry.get(newId)).toMatchObject({ status: 'ACTIVE', thingName: THING });
    } finally {
      expect(await agent.stop()).toBe(0);
      await jobs.stop();
    }
    // No gap: every reading taken arrived (a resend after the switch may repeat some, at least once).
    const last = Math.max(...seqs);
    expect([...new Set(seqs)].sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  });

  async function claimSettings(serialNumber: string) {
    const claim = await ensureClaimCertificate(fixture.pki.dir);
    return {
      provisioning: {
        claimCert: claim.certPath,
        claimKey: claim.keyPath,
        templateName: DEFAULT_PROVISIONING_TEMPLATE,
        serialNumber,
      },
    };
  }

  it('an allow-listed serial provisions on first boot and sends telemetry as its new thing without a restart', async () => {
    await fixture.allowList.allow(['00000000c0ffee01'], 'test', new Date());
    const thingName = 'coffee-pi-00000000c0ffee01';
    const seqs: number[] = [];
    await tap(`${DEFAULT_TOPIC_PREFIX}/+/telemetry`, (topic, payload) => {
      if (topic === `${DEFAULT_TOPIC_PREFIX}/${thingName}/telemetry`) {
        seqs.push(...parseTelemetryEnvelope(payload.toString()).readings.map((r) => r.seq));
      }
    });
    const agent = await startAgent(await claimSettings('00000000c0ffee01'));
    try {
      await eventually(
        () => (seqs.length >= 2 ? true : undefined),
        'telemetry from the new thing',
        () => agentLog,
      );
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const identity = JSON.parse(await readFile(join(temp.dir, 'state', 'identity', 'identity.json'), 'utf8'));
    expect(identity).toMatchObject({ thingName });
    expect(fixture.registry.get(identity.certificateId)).toMatchObject({ status: 'ACTIVE', thingName });
  });

  it('an unknown serial is refused by the hook: a clear error, its own exit code, nothing written', async () => {
    const agent = await startAgent(await claimSettings('00000000deadbeef'));
    const error = await agent.run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProvisioningRefusedError);
    expect((error as Error).message).toMatch(
      /provisioning refused for serial 00000000deadbeef: RegisterThing rejected/,
    );
    expect(exitCodeFor(error)).toBe(EXIT_PROVISIONING_REFUSED);
    await expect(readFile(join(temp.dir, 'state', 'identity', 'identity.json'))).rejects.toThrow(/ENOENT/);
  });
});
