import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_TOPIC_PREFIX } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../../device/src/agent-runner.js';
import { loadConfig } from '../../../device/src/config/load-config.js';
import { createLogger } from '../../../device/src/ports/logger.js';
import type { ProcessHooks } from '../../../device/src/process-hooks.js';
import { REMOTE_CONFIG_FILE } from '../../../device/src/remote-config/overrides-file.js';
import { readStatusFile } from '../../../device/src/status/status-file.js';
import { EmbeddedBroker } from '../../../local/src/broker/embedded-broker.js';
import { aedesMqtt } from '../../../local/src/iot-core/in-process-mqtt.js';
import { ShadowService } from '../../../local/src/iot-core/shadow-service.js';
import { ensureDevPki } from '../../../local/src/pki/pki.js';
import { type TempDir, tempDir } from '../../../local/src/testing/temp-dir.js';

const THING = 'coffee-pi-shadow';

/** Polls (real time: a real agent and broker) until `value()` is defined, or fails naming `what`. */
async function eventually<T>(
  value: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await value();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
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

describe('config shadow end to end: the real agent on the embedded broker with the local shadow service', () => {
  let temp: TempDir;
  let broker: EmbeddedBroker;
  let shadows: ShadowService;
  let agentLog = '';

  beforeEach(async () => {
    temp = await tempDir('shadow-e2e');
    const pki = await ensureDevPki(join(temp.dir, 'pki'), { thingNames: [THING] });
    const quiet = createLogger('silent');
    broker = new EmbeddedBroker({
      caPath: pki.caPath,
      certPath: pki.server.certPath,
      keyPath: pki.server.keyPath,
      logger: quiet,
      thingPolicy: { topicPrefix: DEFAULT_TOPIC_PREFIX },
    });
    await broker.start();
    shadows = new ShadowService({
      mqtt: aedesMqtt(broker.aedes),
      directory: join(temp.dir, 'shadows'),
      logger: quiet,
    });
    await shadows.start();
    const client = pki.clients[THING];
    if (!client) throw new Error('no client certificate');
    await writeFile(
      join(temp.dir, 'agent.json'),
      JSON.stringify({
        thingName: THING,
        endpoint: '127.0.0.1',
        port: broker.port,
        cert: client.certPath,
        key: client.keyPath,
        rootCa: pki.caPath,
        stateDir: join(temp.dir, 'state'),
        transport: 'mqtt.js',
        mock: true,
        mockSeed: 1,
        intervalMs: 10_000,
        clockSyncWaitSeconds: 0,
      }),
    );
    agentLog = '';
  });

  afterEach(async () => {
    await shadows.stop();
    await broker.stop();
    await temp.remove();
  });

  async function startAgent() {
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
      ...(loaded.pinned ? { pinned: loaded.pinned } : {}),
      ...(loaded.remote ? { remoteOverrides: loaded.remote } : {}),
    });
    const stop = () => {
      hooks.stop();
      return run;
    };
    return { loaded, run, stop };
  }

  it('applies desired settings live, reports refusals, and a restarted agent keeps them', async () => {
    const first = await startAgent();
    // The first sync creates the shadow with the settings in effect.
    await eventually(
      async () => (await shadows.getDocument(THING))?.state.reported?.intervalMs,
      'the first report',
    );

    const { version } = await shadows.setDesired(THING, {
      intervalMs: 2000,
      batchSeconds: 'ten',
      endpoint: 'x.example',
      coffee: { countdownSeconds: 0 },
      logLevel: 'warn',
    });
    const reported = await eventually(async () => {
      const doc = await shadows.getDocument(THING);
      return doc && doc.version > version && doc.state.reported?.intervalMs === 2000
        ? doc.state.reported
        : undefined;
    }, 'intervalMs 2000 reported');
    // The runner wires every live key: none waits for a restart.
    expect(reported).toMatchObject({ coffee: { countdownSeconds: 0 }, logLevel: 'warn' });
    expect(reported).not.toHaveProperty('pendingRestart');
    expect(reported.refused).toMatchObject({
      batchSeconds: expect.stringMatching(/^batchSeconds: must be an integer, got "ten"/),
      endpoint: expect.stringMatching(/nobody can reach it/),
    });
    const status = await eventually(async () => {
      const file = await readStatusFile(join(temp.dir, 'state'));
      return file?.remoteConfig?.applied.includes('intervalMs') ? file : undefined;
    }, 'the status file showing the sync');
    expect(status.remoteConfig?.refused).toHaveProperty('endpoint');

    expect(await first.stop()).toBe(0);
    const saved = JSON.parse(await readFile(join(temp.dir, 'state', REMOTE_CONFIG_FILE), 'utf8'));
    expect(saved.overrides).toEqual({ intervalMs: 2000, 'coffee.countdownSeconds': 0, logLevel: 'warn' });

    // A valid batchSeconds arrives while the agent is down: the restart applies it from the get.
    await shadows.setDesired(THING, { batchSeconds: 4 });
    const second = await startAgent();
    expect(second.loaded.config.intervalMs).toBe(2000);
    const after = await eventually(async () => {
      const doc = await shadows.getDocument(THING);
      return doc?.state.reported?.batchSeconds === 4 ? doc.state.reported : undefined;
    }, 'batchSeconds 4 reported after the restart');
    expect(after.refused).not.toHaveProperty('batchSeconds');
    expect(after.refused).toHaveProperty('endpoint');
    expect(await second.stop()).toBe(0);
    expect(agentLog).not.toMatch(/"level":50/);
  }, 30_000);
});
