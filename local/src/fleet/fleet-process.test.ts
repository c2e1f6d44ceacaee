import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@coffee-iot/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnknownDeviceError } from '../dashboard/dashboard-source.js';
import { ensureDevPki } from '../pki/pki.js';
import { writeDeviceConfig } from './device-configs.js';
import { FleetUnavailableError } from './fleet-errors.js';
import type { FleetSpec, FromFleet } from './fleet-messages.js';
import { FleetProcess } from './fleet-process.js';

// The agents point at a port nobody listens on: they keep retrying, which is all these tests
// need (the fleet's lifecycle, not MQTT).
describe('the simulated fleet process', () => {
  let dir: string;
  let spec: FleetSpec;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-fleet-'));
    const pki = await ensureDevPki(join(dir, 'pki'), { thingNames: ['coffee-pi-1', 'coffee-pi-2'] });
    const configPaths = [];
    for (const thingName of ['coffee-pi-1', 'coffee-pi-2']) {
      configPaths.push(
        await writeDeviceConfig(join(dir, 'devices'), {
          thingName,
          certificate: pki.clients[thingName] as NonNullable<(typeof pki.clients)[string]>,
          caPath: pki.caPath,
          brokerPort: 9, // discard: refused at once
          s3Endpoint: 'http://127.0.0.1:9',
          controlPort: 0,
          countdownSeconds: 0,
          logLevel: 'silent',
        }),
      );
    }
    spec = { configPaths, logLevel: 'silent' };
  }, 60_000);

  afterAll(() => rm(dir, { recursive: true, force: true }));

  // One test for the whole life (each start of the process costs seconds on 2 cores).
  it('starts every agent, presses on the named one, refuses an unknown one, restarts after a kill -9 (presses meanwhile fail as unavailable), and stops on request', async () => {
    const fleet = new FleetProcess({
      specPath: join(dir, 'fleet.json'),
      spec,
      thingNames: ['coffee-pi-1', 'coffee-pi-2'],
      logger: createLogger('silent'),
      restart: { minDelayMs: 200 },
    });
    const pressed = (deviceId: string) => () =>
      fleet.press(deviceId).then(
        () => 'pressed',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    await fleet.start();
    try {
      const first = fleet.pid as number;
      expect(first).toBeGreaterThan(0);
      await expect(fleet.press('coffee-pi-9')).rejects.toBeInstanceOf(UnknownDeviceError);
      // The agent may still be opening its triggers: a press is accepted once it has.
      await expect.poll(pressed('coffee-pi-2'), { timeout: 15_000 }).toBe('pressed');

      process.kill(first, 'SIGKILL');
      await expect.poll(() => fleet.counters().crashes).toBe(1);
      const refused = await fleet.press('coffee-pi-1').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(FleetUnavailableError);
      expect((refused as FleetUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);

      await expect.poll(pressed('coffee-pi-1'), { timeout: 20_000 }).toBe('pressed');
      expect(fleet.pid).not.toBe(first);
      expect(fleet.counters()).toMatchObject({ state: 'running', crashes: 1, restarts: 1 });
      expect(fleet.counters().pressesRefused).toBeGreaterThanOrEqual(1);
    } finally {
      const last = fleet.pid;
      await fleet.stop();
      if (last !== undefined) expect(() => process.kill(last, 0)).toThrow();
    }
  }, 60_000);

  it('stops by itself when the stack that started it goes away (its IPC channel closes)', async () => {
    const specPath = join(dir, 'orphan.json');
    await writeFile(specPath, JSON.stringify(spec));
    const entry = fileURLToPath(new URL('./fleet-main.ts', import.meta.url));
    const child = fork(entry, [specPath], {
      execArgv: ['--conditions=coffee-iot-source', '--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      detached: true,
    });
    const [started] = (await once(child, 'message')) as [FromFleet];
    expect(started).toEqual({ type: 'started', devices: 2 });
    const exited = once(child, 'exit');
    child.disconnect();
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  }, 60_000);
});
