import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BundleExistsError,
  type BundleFile,
  BundleWriteError,
  checkBundleTarget,
  deviceAgentConfig,
  writeDeviceBundle,
} from './device-bundle.js';

const FILES: BundleFile[] = [
  { name: 'certificate.pem.crt', content: 'certificate\n', mode: 0o644 },
  { name: 'private.pem.key', content: 'key\n', mode: 0o600 },
];

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('writeDeviceBundle', () => {
  let parent: string;
  let dir: string;

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'coffee-iot-bundle-'));
    dir = join(parent, 'coffee-pi-01');
  });
  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('writes every file with its mode into a directory only its owner can enter', async () => {
    await writeDeviceBundle(dir, FILES, { force: false });

    expect((await readdir(dir)).sort()).toEqual(['certificate.pem.crt', 'private.pem.key']);
    expect(await readFile(join(dir, 'private.pem.key'), 'utf8')).toBe('key\n');
    expect(await modeOf(join(dir, 'private.pem.key'))).toBe(0o600);
    expect((await modeOf(join(dir, 'certificate.pem.crt'))) & 0o600).toBe(0o600);
    expect(await modeOf(dir)).toBe(0o700);
    // Written next to it and renamed into place: no partial copy stays behind.
    expect(await readdir(parent)).toEqual(['coffee-pi-01']);
  });

  it('refuses an existing directory without force, and leaves it as it was', async () => {
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');

    const error = await writeDeviceBundle(dir, FILES, { force: false }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BundleExistsError);
    expect((error as Error).message).toContain('--force');
    expect(await readdir(dir)).toEqual(['notes.txt']);
    expect(await readdir(parent)).toEqual(['coffee-pi-01']);
  });

  it('replaces an existing directory with force', async () => {
    await mkdir(dir);
    await writeFile(join(dir, 'old.pem.key'), 'old key');

    await writeDeviceBundle(dir, FILES, { force: true });

    expect((await readdir(dir)).sort()).toEqual(['certificate.pem.crt', 'private.pem.key']);
  });

  it('removes what it wrote when a file cannot be written', async () => {
    // The second file of the same name fails: files are created exclusively.
    const files = [...FILES, { name: 'private.pem.key', content: 'again', mode: 0o600 }];

    const error = await writeDeviceBundle(dir, files, { force: false }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BundleWriteError);
    expect((error as BundleWriteError).leftBehind).toBeUndefined();
    expect((error as Error).message).toContain('EEXIST');
    expect(await readdir(parent)).toEqual([]);
  });

  it('fails when the parent directory does not exist', async () => {
    const error = await writeDeviceBundle(join(parent, 'missing', 'bundle'), FILES, { force: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BundleWriteError);
    expect((error as Error).message).toContain('ENOENT');
  });
});

describe('checkBundleTarget', () => {
  let parent: string;

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'coffee-iot-bundle-'));
  });
  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('accepts a new directory in an existing one, and an existing directory with force', async () => {
    await expect(checkBundleTarget(join(parent, 'new'), { force: false })).resolves.toBeUndefined();
    await expect(checkBundleTarget(parent, { force: true })).resolves.toBeUndefined();
  });

  it('names an existing directory, a missing parent and a file in the way', async () => {
    await expect(checkBundleTarget(parent, { force: false })).rejects.toBeInstanceOf(BundleExistsError);
    await expect(checkBundleTarget(join(parent, 'a', 'b'), { force: false })).rejects.toThrow(
      `${join(parent, 'a')} does not exist`,
    );
    await writeFile(join(parent, 'file'), '');
    await expect(checkBundleTarget(join(parent, 'file'), { force: true })).rejects.toThrow(
      'is not a directory: --force replaces directories only',
    );
    await expect(checkBundleTarget(join(parent, 'file', 'x'), { force: false })).rejects.toThrow(
      `${join(parent, 'file')} is not a directory`,
    );
  });
});

describe('deviceAgentConfig', () => {
  it('points the agent at the PEM files in /etc/coffee-iot and at the endpoints, role alias and bucket', () => {
    expect(
      deviceAgentConfig({
        thingName: 'coffee-pi-01',
        dataEndpoint: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
        credentialsEndpoint: 'c1b2c3d4e5f6g7.credentials.iot.eu-west-1.amazonaws.com',
        roleAlias: 'CoffeeIotPhotoUpload',
        bucket: 'coffee-iot-photos-123456789012',
        region: 'eu-west-1',
      }),
    ).toEqual({
      thingName: 'coffee-pi-01',
      endpoint: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
      port: 8883,
      cert: '/etc/coffee-iot/certificate.pem.crt',
      key: '/etc/coffee-iot/private.pem.key',
      rootCa: '/etc/coffee-iot/AmazonRootCA1.pem',
      credentials: {
        endpoint: 'c1b2c3d4e5f6g7.credentials.iot.eu-west-1.amazonaws.com',
        roleAlias: 'CoffeeIotPhotoUpload',
      },
      upload: { bucket: 'coffee-iot-photos-123456789012', region: 'eu-west-1' },
    });
  });
});
