import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '@coffee-iot/device';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevPkiPaths, ensureDevPki } from '../pki/pki.js';
import { LOCAL_PHOTO_BUCKET } from '../s3/local-s3.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { type DeviceConfigInput, writeDeviceConfig } from './device-configs.js';

const THINGS = ['coffee-pi-1', 'coffee-pi-2'];

describe('writeDeviceConfig', () => {
  let temp: TempDir;
  let pki: DevPkiPaths;
  let devicesDir: string;

  beforeAll(async () => {
    temp = await tempDir('device-configs');
    pki = await ensureDevPki(join(temp.dir, 'pki'), { thingNames: THINGS });
    devicesDir = join(temp.dir, 'devices');
  });

  afterAll(async () => {
    await temp?.remove();
  });

  function input(thingName: string, overrides: Partial<DeviceConfigInput> = {}): DeviceConfigInput {
    const certificate = pki.clients[thingName];
    if (certificate === undefined) throw new Error(`no certificate for ${thingName}`);
    return {
      thingName,
      certificate,
      caPath: pki.caPath,
      brokerPort: 18883,
      s3Endpoint: 'http://127.0.0.1:14568',
      controlPort: 0,
      countdownSeconds: 3,
      logLevel: 'warn',
      ...overrides,
    };
  }

  /** The file as the agent reads it: the device's own loader, files checked, no environment. */
  const load = (configPath: string) => loadConfig({ configPath, env: {} });

  it("writes an agent.json the device's config loader accepts, in mock mode against the local stack", async () => {
    const path = await writeDeviceConfig(
      devicesDir,
      input('coffee-pi-1', { controlPort: 8484, countdownSeconds: 0 }),
    );

    expect(path).toBe(join(devicesDir, 'coffee-pi-1', 'agent.json'));
    const { config } = load(path);
    expect(config).toMatchObject({
      thingName: 'coffee-pi-1',
      endpoint: '127.0.0.1',
      port: 18883,
      cert: pki.clients['coffee-pi-1']?.certPath,
      key: pki.clients['coffee-pi-1']?.keyPath,
      rootCa: pki.caPath,
      stateDir: join(devicesDir, 'coffee-pi-1', 'state'),
      mock: true,
      logLevel: 'warn',
      control: { port: 8484 },
      coffee: { countdownSeconds: 0 },
      upload: {
        bucket: LOCAL_PHOTO_BUCKET,
        endpoint: 'http://127.0.0.1:14568',
        devStaticCredentials: true,
      },
    });
    expect(Number.isInteger(config.mockSeed)).toBe(true);
    expect((await stat(join(devicesDir, 'coffee-pi-1'))).mode & 0o777).toBe(0o750);
  });

  it('gives each thing its own mock seed, the same on every write', async () => {
    const first = load(await writeDeviceConfig(devicesDir, input('coffee-pi-1'))).config.mockSeed;
    const second = load(await writeDeviceConfig(devicesDir, input('coffee-pi-2'))).config.mockSeed;
    const again = load(await writeDeviceConfig(devicesDir, input('coffee-pi-1', { brokerPort: 8883 }))).config
      .mockSeed;

    expect(first).not.toBe(second);
    expect(again).toBe(first);
    for (const seed of [first, second]) {
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThan(2 ** 31);
    }
  });

  it('turns the control port off with 0 and rewrites the file in place', async () => {
    const path = await writeDeviceConfig(devicesDir, input('coffee-pi-2', { controlPort: 9999 }));
    await writeDeviceConfig(devicesDir, input('coffee-pi-2', { controlPort: 0, countdownSeconds: 9 }));

    expect(load(path).config).toMatchObject({ control: { port: 0 }, coffee: { countdownSeconds: 9 } });
    expect((await readFile(path, 'utf8')).endsWith('}\n')).toBe(true);
  });
});
