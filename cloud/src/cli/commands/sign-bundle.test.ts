import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli-io.js';
import { main } from '../main.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './sign-bundle.js';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('coffee-iot sign-bundle', () => {
  let dir: string;
  let bundle: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-sign-'));
    bundle = join(dir, 'coffee-iot-agent-1.2.3-linux-arm64.tar.gz');
    await writeFile(bundle, Buffer.from('a release tarball stand-in\n'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[]): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: dir,
    };
    const code = await main(argv, io);
    return { code, stdout, stderr };
  }

  async function keys(): Promise<{ privateKey: string; publicKey: string }> {
    const made = await cli(['sign-bundle', '--generate-key', 'keys']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    return { privateKey: join(dir, 'keys', PRIVATE_KEY_FILE), publicKey: join(dir, 'keys', PUBLIC_KEY_FILE) };
  }

  it('makes a P-256 key pair with the private key readable by its owner only', async () => {
    const { privateKey, publicKey } = await keys();
    expect((await stat(privateKey)).mode & 0o777).toBe(0o600);
    const key = createPublicKey(await readFile(publicKey));
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('never overwrites an existing key', async () => {
    const { privateKey } = await keys();
    const before = await readFile(privateKey, 'utf8');
    const again = await cli(['sign-bundle', '--generate-key', 'keys']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists; not overwriting a signing key');
    expect(await readFile(privateKey, 'utf8')).toBe(before);
  });

  it('signs: the printed signature verifies over the bundle with the public key, and the digest is its SHA-256', async () => {
    const { privateKey, publicKey } = await keys();
    const run = await cli(['sign-bundle', '--key', privateKey, bundle, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { sha256: string; signature: string };
    const bytes = await readFile(bundle);
    const key = createPublicKey(await readFile(publicKey));
    const signature = Buffer.from(printed.signature, 'base64');
    expect(verify('sha256', bytes, { key, dsaEncoding: 'der' }, signature)).toBe(true);
    // A changed byte no longer verifies: the check above can fail.
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    expect(verify('sha256', bytes, { key, dsaEncoding: 'der' }, signature)).toBe(false);
    const sha256sum = await new Promise<string>((resolve) =>
      execFile('sha256sum', [bundle], (_error, stdout) => resolve(stdout.split(' ')[0] ?? '')),
    );
    expect(printed.sha256).toBe(sha256sum);
  });

  it('writes a DER signature that openssl verifies', async () => {
    const { privateKey, publicKey } = await keys();
    const run = await cli(['sign-bundle', '--key', privateKey, bundle, '--out', 'bundle.sig']);
    expect(run.code).toBe(0);
    const printed = /^sha256: ([0-9a-f]{64})\nsignature: ([A-Za-z0-9+/=]+)\njob parameters: (.*)\n$/.exec(
      run.stdout,
    );
    expect(printed?.[3]).toBe(
      `--param bundle.sha256=${printed?.[1]} --param bundle.signature=${printed?.[2]}`,
    );
    expect(Buffer.from(printed?.[2] ?? '', 'base64')).toEqual(await readFile(join(dir, 'bundle.sig')));
    const openssl = await new Promise<CliRun>((resolve) =>
      execFile(
        'openssl',
        ['dgst', '-sha256', '-verify', publicKey, '-signature', join(dir, 'bundle.sig'), bundle],
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      ),
    );
    expect(openssl.stdout.trim()).toBe('Verified OK');
  });

  it.each([
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, /is a rsa key/],
    [
      'a P-384 key',
      () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
      /EC key on secp384r1/,
    ],
    ['an Ed25519 key', () => generateKeyPairSync('ed25519').privateKey, /is a ed25519 key/],
  ])('refuses %s, naming what it is', async (_name, make, message) => {
    const keyPath = join(dir, 'other.pem');
    await writeFile(keyPath, make().export({ type: 'pkcs8', format: 'pem' }) as string);
    const run = await cli(['sign-bundle', '--key', keyPath, bundle]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('ECDSA P-256 (prime256v1)');
    expect(run.stdout).toBe('');
  });

  it('says what is missing from the command line', async () => {
    expect((await cli(['sign-bundle', bundle])).stderr).toContain('--key KEY.pem is required');
    const noBundle = await cli(['sign-bundle', '--key', 'k.pem']);
    expect(noBundle.code).toBe(2);
    expect(noBundle.stderr).toContain('name the BUNDLE to sign');
    expect((await cli(['sign-bundle', '--help'])).stdout).toMatch(
      /^Usage: coffee-iot sign-bundle --key KEY\.pem BUNDLE/,
    );
    expect((await cli(['help'])).stdout).toContain('sign-bundle --key KEY.pem BUNDLE');
  });

  it('names a bundle it cannot read', async () => {
    const { privateKey } = await keys();
    const run = await cli(['sign-bundle', '--key', privateKey, 'missing.tar.gz']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`bundle ${join(dir, 'missing.tar.gz')} cannot be read`);
  });
});
