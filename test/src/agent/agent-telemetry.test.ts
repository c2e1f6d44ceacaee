import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateTelemetryEnvelope } from '@coffee-iot/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, seqsOf, TRANSPORTS } from '../harness/agent-config.js';
import { type AgentLogLine, AgentProcess } from '../harness/agent-process.js';
import { MosquittoBroker } from '../harness/mosquitto.js';
import { TestSubscriber } from '../harness/subscriber.js';
import { clientFiles } from '../harness/test-pki.js';

const THING = 'coffee-pi-e2e';
const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;
const HEALTH = `dt/coffee-iot/${THING}/health`;
/** Time between the agent arming its retry timer and logging the failure, plus ms rounding. */
const LOG_SLACK_MS = 100;
/** Two failed connects take ~7 s with aws-crt on an idle machine; only a broken agent takes this. */
const FAILURES_DEADLINE_MS = 30_000;

/** The agent's first `count` "mqtt connect failed" log lines, as soon as it has written them. */
async function connectFailures(agent: AgentProcess, count: number): Promise<AgentLogLine[]> {
  const deadline = Date.now() + FAILURES_DEADLINE_MS;
  for (;;) {
    const failures = agent.logsMatching('mqtt connect failed');
    if (failures.length >= count) return failures.slice(0, count);
    if (Date.now() > deadline || !agent.running) {
      throw new Error(
        `expected ${count} failed connects within ${FAILURES_DEADLINE_MS} ms, saw ${failures.length}` +
          `${agent.running ? '' : ' (the agent exited)'}\n${agent.transcript()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(TRANSPORTS)(
  'agent over %s against mosquitto with mutual TLS',
  { timeout: 45_000 },
  (transport) => {
    let broker: MosquittoBroker;
    let subscriber: TestSubscriber;
    let workDir: string;
    let agent: AgentProcess | undefined;

    beforeAll(async () => {
      broker = await MosquittoBroker.create({ thingNames: [THING, 'observer'] });
      await broker.start();
      const observer = clientFiles(broker.pki.trusted.clients, 'observer');
      subscriber = await TestSubscriber.connect({
        host: broker.host,
        port: broker.port,
        clientId: `observer-${transport}`,
        ...observer,
        caPath: broker.pki.trusted.caPath,
        topics: [TELEMETRY, HEALTH],
      });
    });
    afterEach(async () => {
      if (agent?.running) await agent.kill();
      agent = undefined;
      subscriber.clear();
      await rm(workDir, { recursive: true, force: true });
    });
    afterAll(async () => {
      await subscriber?.close();
      await broker?.cleanup();
    });

    async function startAgent(overrides: Record<string, unknown> = {}): Promise<AgentProcess> {
      workDir = await mkdtemp(join(tmpdir(), 'coffee-iot-agent-'));
      const config = agentConfigFor(broker, THING, join(workDir, 'state'), transport, overrides);
      const started = await AgentProcess.withConfig(workDir, config);
      started.start();
      agent = started;
      return started;
    }

    it('delivers one schema-valid reading a second with increasing seq, and health on connect', async () => {
      const running = await startAgent();
      const payloads = await subscriber.waitForCount(TELEMETRY, 5, 15_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${running.transcript()}`);
      });
      const envelopes = payloads.map((p) => JSON.parse(p));
      for (const envelope of envelopes)
        expect(validateTelemetryEnvelope(envelope)).toMatchObject({ ok: true });
      expect(envelopes.every((e) => e.deviceId === THING && e.readings.length === 1)).toBe(true);

      const seqs = seqsOf(payloads);
      expect(seqs.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
      const times = envelopes.map((e) => Date.parse(e.readings[0].ts));
      // Ticks sit on the wall-clock grid (whole seconds) give or take scheduling jitter, with no
      // accumulating drift: reading i is i seconds after the first.
      const first = times[0] ?? 0;
      for (let i = 1; i < times.length; i += 1) {
        expect(Math.abs((times[i] ?? 0) - first - i * 1000)).toBeLessThan(150);
      }
      const [health] = await subscriber.waitForCount(HEALTH, 1, 5000);
      expect(JSON.parse(health ?? '{}')).toMatchObject({ deviceId: THING, transport, v: 1 });
    });

    it('stops on SIGTERM within 5 s, with nothing left unacknowledged', async () => {
      const running = await startAgent();
      await subscriber.waitForCount(TELEMETRY, 3, 15_000);
      const { code, elapsedMs } = await running.terminate();
      expect(code).toBe(0);
      expect(elapsedMs).toBeLessThan(5000);
      const stopped = running.logsMatching('agent stopped')[0];
      expect(stopped?.spoolDepth).toBe(0);
    });

    it.each([
      ['the broker certificate is from another CA', { rootCa: 'foreign-ca' }],
      ['the client certificate is unknown to the broker', { cert: 'foreign-cert', key: 'foreign-key' }],
    ])('when %s: a clear connect error and backoff, not a hot loop', async (_case, which) => {
      const foreign = clientFiles(broker.pki.foreign.clients, THING);
      const overrides: Record<string, unknown> = {};
      if ('rootCa' in which) overrides.rootCa = broker.pki.foreign.caPath;
      if ('cert' in which) Object.assign(overrides, { cert: foreign.certPath, key: foreign.keyPath });
      const running = await startAgent({
        ...overrides,
        reconnect: { minMs: 1000, maxMs: 4000, stableAfterMs: 5000 },
      });

      // Waits for the agent's own account of two failed attempts rather than a fixed window: aws-crt
      // reports a TLS failure only at the 3 s connect timeout, so a loaded machine fits fewer into
      // any window. The rhythm is then judged on the agent's log timestamps, which load can only
      // stretch, never shrink.
      const failures = await connectFailures(running, 2);
      expect(String(failures[0]?.error)).toMatch(
        /tls|certificate|handshake|ssl|socket|closed|reset|refused|timed out/i,
      );
      const delays = failures.map((line) => Number(line.retryInMs));
      expect(delays.every((d) => d >= 500)).toBe(true);
      // Backoff: attempt n waits between half and all of min(1 s × 2^(n-1), 4 s), as configured above.
      for (const line of failures) {
        const ceiling = Math.min(4000, 1000 * 2 ** (Number(line.attempt) - 1));
        expect(Number(line.retryInMs), JSON.stringify(line)).toBeGreaterThanOrEqual(ceiling / 2);
        expect(Number(line.retryInMs), JSON.stringify(line)).toBeLessThanOrEqual(ceiling);
      }
      // Not a hot loop: the next attempt failed no sooner than the delay the agent announced
      // (less a little for the log line being written just after the retry timer is armed).
      for (let i = 1; i < failures.length; i += 1) {
        const previous = failures[i - 1] as AgentLogLine;
        const gapMs = Date.parse(String(failures[i]?.time)) - Date.parse(String(previous.time));
        expect(gapMs, running.transcript()).toBeGreaterThanOrEqual(Number(previous.retryInMs) - LOG_SLACK_MS);
      }
      expect(subscriber.payloadsOn(TELEMETRY)).toEqual([]);
      const { code } = await running.terminate();
      expect(code).toBe(0);
    });
  },
);
