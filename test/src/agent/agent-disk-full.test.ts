import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type HealthMessage, validateHealthMessage } from '@coffee-iot/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, firstArrivals, seqsOf } from '../harness/agent-config.js';
import { AGENT_BIN, AgentProcess } from '../harness/agent-process.js';
import { freePort } from '../harness/free-port.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';

const run = promisify(execFile);

const THING = 'coffee-pi-full';
const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;
const HEALTH = `dt/coffee-iot/${THING}/health`;
/** Room for the spool, its WAL and the status file; the test fills the rest. */
const TMPFS_SIZE = '16m';

/**
 * The agent's state directory on a real, small filesystem that the test fills up: tmpfs needs
 * root (or CAP_SYS_ADMIN). Anywhere else the test is skipped, and says why.
 */
async function mountTmpfs(): Promise<{ dir: string } | { skip: string }> {
  if (process.platform !== 'linux') return { skip: 'tmpfs mounts need Linux' };
  const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-full-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0750`, 'tmpfs', dir]);
    return { dir };
  } catch (error) {
    await rmdir(dir);
    return { skip: `cannot mount a tmpfs (needs root): ${(error as Error).message.split('\n')[0]}` };
  }
}

/** Writes zeros until the filesystem says ENOSPC: big chunks first, then one block at a time. */
async function fillUp(path: string): Promise<number> {
  const file = await open(path, 'w');
  let written = 0;
  try {
    for (const chunk of [Buffer.alloc(1 << 20), Buffer.alloc(4096)]) {
      for (;;) {
        try {
          written += (await file.write(chunk)).bytesWritten;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    await file.close();
  }
  return written;
}

const mounted = await mountTmpfs();
if ('skip' in mounted) console.warn(`agent-disk-full.test.ts skipped: ${mounted.skip}`);

describe.skipIf('skip' in mounted)(
  'agent on a full disk: nothing is lost in silence',
  { timeout: 90_000 },
  () => {
    const stateDir = 'dir' in mounted ? join(mounted.dir, 'state') : '';
    const filler = 'dir' in mounted ? join(mounted.dir, 'filler.bin') : '';
    let stack: ObservedMosquitto;
    let agent: AgentProcess;
    let controlUrl: string;

    beforeAll(async () => {
      stack = await startObservedMosquitto(THING, 'full-observer', [TELEMETRY, HEALTH]);
      const controlPort = await freePort();
      controlUrl = `http://127.0.0.1:${controlPort}`;
      // 10 readings a second and health every second keep the run short on the wall clock.
      const config = agentConfigFor(stack.broker, THING, stateDir, 'mqtt.js', {
        intervalMs: 100,
        healthIntervalSeconds: 1,
        control: { port: controlPort },
        coffee: { countdownSeconds: 0, cooldownMs: 0 },
      });
      agent = await AgentProcess.withConfig(stack.workDir, config);
      agent.start();
    });
    afterAll(async () => {
      if (agent?.running) await agent.kill();
      await stack?.cleanup();
      if ('dir' in mounted) {
        // Unmount even when a test failed; lazily, should a straggler still hold a file.
        await run('umount', ['-l', mounted.dir]).catch((error: unknown) => console.error(error));
        await rmdir(mounted.dir).catch(() => undefined);
      }
    });

    const healths = () => stack.subscriber.payloadsOn(HEALTH).map((p) => JSON.parse(p) as HealthMessage);
    const publishedSeqs = () => firstArrivals(seqsOf(stack.subscriber.payloadsOn(TELEMETRY)));
    const press = () => fetch(`${controlUrl}/press`, { method: 'POST' });
    const withTranscript = (error: unknown) => {
      throw new Error(`${String(error)}\n${agent.transcript()}`);
    };

    async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) withTranscript(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it('counts the readings it cannot store, answers presses with 507, and leaves a gap in seq it names', async () => {
      await stack.subscriber.waitForCount(TELEMETRY, 5, 20_000).catch(withTranscript);
      expect((await press()).status).toBe(202);
      // That press's photo and outcome are stored before the disk fills: a capture still running
      // when it fills would fail to store its outcome and count as a second unrecorded press.
      await until(
        'the first press recorded',
        () => agent.logsMatching('photo captured and queued for upload').length > 0,
      );

      // The disk fills up under the running agent.
      await fillUp(filler);
      await until(
        'the start of the episode',
        () => agent.logsMatching('readings cannot be stored').length > 0,
      );
      const [started] = agent.logsMatching('readings cannot be stored');
      expect(started).toMatchObject({ cause: 'ENOSPC', path: join(stateDir, 'spool.sqlite') });

      const refused = await press();
      expect(refused.status).toBe(507);
      expect(await refused.json()).toMatchObject({ accepted: false, cause: 'ENOSPC' });

      // Health (sent over MQTT, not stored) says readings are being lost, and why.
      await until('health reporting the loss', () =>
        healths().some((h) => (h.unstoredReadings?.ENOSPC ?? 0) >= 5 && h.storageFailure?.cause === 'ENOSPC'),
      );
      const during = healths().findLast((h) => h.storageFailure);
      expect(validateHealthMessage(during)).toMatchObject({ ok: true });
      expect(during).toMatchObject({ unrecordedPresses: { ENOSPC: 1 } });

      // `status` too: the status file is rewritten in place while the disk is full.
      await until(
        'status showing the failure',
        async () => (await status()).stdout.includes('STORAGE FAILING: ENOSPC'),
        12_000,
      );

      // Space returns.
      await rm(filler);
      await until(
        'the end of the episode',
        () => agent.logsMatching('could not be stored: ENOSPC').length > 0,
      );
      const [ended] = agent.logsMatching('could not be stored: ENOSPC');
      const match = /^(\d+) readings \(seq (\d+)…(\d+)\) could not be stored: ENOSPC/.exec(ended?.msg ?? '');
      expect(match, ended?.msg).not.toBeNull();
      const [count, from, to] = [Number(match?.[1]), Number(match?.[2]), Number(match?.[3])];
      expect(count).toBe(to - from + 1);
      expect(count).toBeGreaterThanOrEqual(5);
      // Exactly two lines for the whole episode, however many readings it cost.
      expect(agent.logsMatching('readings cannot be stored')).toHaveLength(1);
      expect(agent.logsMatching('readings still cannot be stored')).toHaveLength(0);

      // Readings are stored and published again, after the gap.
      await until('readings after the gap', () => publishedSeqs().some((seq) => seq > to + 5), 20_000);
      const seqs = publishedSeqs();
      const max = Math.max(...seqs);
      const expected = Array.from({ length: max }, (_, i) => i + 1).filter((seq) => seq < from || seq > to);
      expect([...seqs].sort((a, b) => a - b)).toEqual(expected);

      await until('health after the episode', () =>
        healths().some((h) => h.storageFailure === null && h.unstoredReadings?.ENOSPC === count),
      );
      expect((await press()).status).toBe(202);
      await until(
        'status counting the loss',
        async () => (await status()).stdout.includes(`unstored:        ${count} readings (ENOSPC ${count})`),
        12_000,
      );
      const { code } = await agent.terminate();
      expect(code).toBe(0);
    });

    async function status(): Promise<{ stdout: string }> {
      // Exit code 1 is fine here (e.g. "connecting"); only the text matters.
      return run(process.execPath, [AGENT_BIN, 'status', '--config', agent.configPath]).catch(
        (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
      );
    }
  },
);
