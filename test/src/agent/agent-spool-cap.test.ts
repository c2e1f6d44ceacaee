import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStatus, readStatusFile } from '../../../device/src/status/status-file.js';
import { agentConfigFor, seqsOf } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';

const THING = 'coffee-pi-cap';
const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;
const HEALTH = `dt/coffee-iot/${THING}/health`;
const CAP = 5;
/** Drops the status file must report before the outage ends: 20 of ~45 readings in its first 5 s. */
const DROPS_BEFORE_RECOVERY = 20;
/** Only a broken agent takes this long; a loaded machine is slow, not this slow. */
const STATUS_DEADLINE_MS = 25_000;

describe('spool cap over a long outage', { timeout: 90_000 }, () => {
  let stack: ObservedMosquitto;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startObservedMosquitto(THING, 'cap-observer', [TELEMETRY, HEALTH]);
  });
  afterAll(async () => {
    if (agent?.running) await agent.kill();
    await stack?.cleanup();
  });

  /**
   * Reads the status file until the agent reports at least `drops` dropped readings, checking
   * the cap in every version seen. Waits on what the agent writes, not on the wall clock: the
   * file is rewritten every 5 s once the agent is up, and a loaded machine only delays that.
   */
  async function statusWithDrops(stateDir: string, drops: number): Promise<AgentStatus> {
    const deadline = Date.now() + STATUS_DEADLINE_MS;
    let last: AgentStatus | null = null;
    for (;;) {
      last = (await readStatusFile(stateDir)) ?? last;
      if (last) expect(last.spoolDepth, JSON.stringify(last)).toBeLessThanOrEqual(CAP);
      if (last && last.droppedReadings >= drops) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `the status file did not report ${drops} dropped readings within ${STATUS_DEADLINE_MS} ms; ` +
            `last seen: ${JSON.stringify(last)}\n${agent.transcript()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('drops the oldest, counts them, and reports the count in health and status', async () => {
    const { broker, subscriber, workDir } = stack;
    const stateDir = join(workDir, 'state');
    // The agent starts while the broker is down: every reading waits in a spool capped at 5.
    await broker.stop();
    agent = await AgentProcess.withConfig(
      workDir,
      agentConfigFor(broker, THING, stateDir, 'mqtt.js', { intervalMs: 100, spool: { maxReadings: CAP } }),
    );
    agent.start();
    // Readings at 10 Hz during the outage; the status file is rewritten every 5 s.
    const offline = await statusWithDrops(stateDir, DROPS_BEFORE_RECOVERY);
    expect(offline.spoolDepth).toBeLessThanOrEqual(CAP);
    expect(offline.droppedReadings).toBeGreaterThanOrEqual(DROPS_BEFORE_RECOVERY);
    expect(agent.logsMatching('drop').length, agent.transcript()).toBeGreaterThan(0);

    await broker.start();
    const [health] = await subscriber.waitForCount(HEALTH, 1, 30_000);
    const report = JSON.parse(health ?? '{}') as { droppedReadings: number };
    expect(report.droppedReadings).toBeGreaterThanOrEqual(offline.droppedReadings);

    await subscriber.waitForCount(TELEMETRY, 2, 20_000);
    const seqs = seqsOf(subscriber.payloadsOn(TELEMETRY));
    // The oldest were dropped: the first seq delivered is well past 1.
    expect(Math.min(...seqs)).toBeGreaterThan(report.droppedReadings - CAP);
    const { code } = await agent.terminate();
    expect(code).toBe(0);
  });
});
