import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../outbox/durable-fs.js';

/** What provisioning by claim produced: this device's own identity, in `{stateDir}/identity/`. */
export interface ProvisionedIdentity {
  readonly thingName: string;
  readonly certificateId: string;
  /** Paths of the device certificate and key inside the identity directory. */
  readonly cert: string;
  readonly key: string;
}

/** identity.json: the thing name RegisterThing gave (cert.pem and key.pem sit beside it). */
export interface IdentityRecord {
  readonly thingName: string;
  readonly certificateId: string;
  readonly provisionedAt: string;
}

export const IDENTITY_DIR = 'identity';
/** An identity being written; one left by a crash is removed at the next start. */
const STAGING_PREFIX = 'identity.staging-';

export function identityPaths(stateDir: string): { dir: string; cert: string; key: string; record: string } {
  const dir = join(stateDir, IDENTITY_DIR);
  return { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), record: join(dir, 'identity.json') };
}

/** Parses identity.json; null when it is not a usable record (never half-written: see writeIdentity). */
export function parseIdentityRecord(text: string): IdentityRecord | null {
  try {
    const value = JSON.parse(text) as Partial<IdentityRecord>;
    if (typeof value.thingName !== 'string' || value.thingName === '') return null;
    if (typeof value.certificateId !== 'string') return null;
    return value as IdentityRecord;
  } catch {
    return null;
  }
}

/** The file operations writing an identity makes; a test injects failures (a power cut) here. */
export interface IdentityWriterFs {
  writeFile(path: string, data: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

export const nodeIdentityWriterFs: IdentityWriterFs = {
  async writeFile(path, data, mode) {
    const handle = await open(path, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => rename(from, to),
};

export class IdentityWriteError extends Error {
  override readonly name = 'IdentityWriteError';
}

export interface NewIdentity {
  readonly thingName: string;
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/**
 * Writes key, certificate and identity.json all or nothing: into a staging directory first
 * (each file fsync'd), which one rename then makes `identity/`. A crash at any point before that
 * rename leaves no `identity/` at all, so the next start provisions again from the beginning.
 */
export async function writeIdentity(
  stateDir: string,
  identity: NewIdentity,
  now: Date,
  fs: IdentityWriterFs = nodeIdentityWriterFs,
): Promise<ProvisionedIdentity> {
  const target = identityPaths(stateDir);
  const staging = join(stateDir, `${STAGING_PREFIX}${process.pid}-${now.getTime()}`);
  await mkdir(stateDir, { recursive: true, mode: 0o750 });
  await mkdir(staging, { mode: 0o700 });
  try {
    await fs.writeFile(join(staging, 'key.pem'), identity.privateKeyPem, 0o600);
    await fs.writeFile(join(staging, 'cert.pem'), identity.certificatePem, 0o644);
    const record: IdentityRecord = {
      thingName: identity.thingName,
      certificateId: identity.certificateId,
      provisionedAt: now.toISOString(),
    };
    await fs.writeFile(join(staging, 'identity.json'), `${JSON.stringify(record, null, 2)}\n`, 0o644);
    await fsyncDir(staging);
    await fs.rename(staging, target.dir);
    await fsyncDir(stateDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new IdentityWriteError(
      `could not store the provisioned identity in ${target.dir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return {
    thingName: identity.thingName,
    certificateId: identity.certificateId,
    cert: target.cert,
    key: target.key,
  };
}

/** Removes staging directories a crash left behind (they hold no identity anyone uses). */
export async function removeStaleStaging(stateDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const stale = names.filter((name) => name.startsWith(STAGING_PREFIX));
  for (const name of stale) await rm(join(stateDir, name), { recursive: true, force: true });
  return stale;
}
