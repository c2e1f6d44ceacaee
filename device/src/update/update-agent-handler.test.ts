import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobDocument, JobStatusDetails } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobOutcome, JobRun } from '../jobs/job-handler.js';
import { silentLogger } from '../ports/logger.js';
import { buildReleaseTarball, snapshotTree } from '../testing/release-tarball.js';
import { UpdateAgentHandler, type UpdateAgentHandlerOptions } from './update-agent-handler.js';

interface FakeJob extends JobRun {
  /** What the jobs service's journal would hold: survives the "restart". */
  saved: Readonly<Record<string, string>> | undefined;
  progressed: JobStatusDetails[];
}

function fakeJob(document: JobDocument, checkpoint?: Readonly<Record<string, string>>): FakeJob {
  const job: FakeJob = {
    jobId: 'update-1',
    document,
    signal: new AbortController().signal,
    checkpoint,
    saved: checkpoint,
    progressed: [],
    saveCheckpoint: async (state) => {
      job.saved = { ...state };
    },
    progress: async (details) => {
      job.progressed.push(details);
    },
  };
  return job;
}

describe('UpdateAgentHandler', () => {
  let dir: string;
  let root: string;
  let publicKeyPath: string;
  let keys: { privateKey: KeyObject; publicKey: KeyObject };
  let bundlePath: string;
  let bundle: Buffer;
  let healthy: boolean;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-update-'));
    root = join(dir, 'opt');
    // What install-pi.sh leaves: release 1.0.0 installed and current.
    await mkdir(join(root, 'releases/1.0.0'), { recursive: true });
    await writeFile(join(root, 'releases/1.0.0/coffee-iot-agent.mjs'), '// 1.0.0\n');
    await symlink('releases/1.0.0', join(root, 'current'));
    keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    publicKeyPath = join(dir, 'update-public-key.pem');
    await writeFile(publicKeyPath, keys.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    bundle = await buildReleaseTarball({ version: '1.1.0' });
    bundlePath = join(dir, 'coffee-iot-agent-1.1.0.tar.gz');
    await writeFile(bundlePath, bundle);
    healthy = false;
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  function handler(runningVersion: string, options: Partial<UpdateAgentHandlerOptions> = {}) {
    return new UpdateAgentHandler({
      publicKeyPath,
      runningVersion,
      installRoot: root,
      health: { hasPublished: () => healthy },
      logger: silentLogger(),
      ...options,
    });
  }

  function signed(bytes: Uint8Array, key = keys.privateKey) {
    return {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      signature: sign('sha256', bytes, { key, dsaEncoding: 'der' }).toString('base64'),
    };
  }

  function documentFor(
    bundleFields: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): JobDocument {
    return {
      operation: 'update-agent',
      version: '1.1.0',
      bundle: { url: bundlePath, ...bundleFields },
      ...extra,
    };
  }

  async function installed(
    extra: Record<string, unknown> = {},
  ): Promise<{ job: FakeJob; outcome: JobOutcome }> {
    const job = fakeJob(documentFor(signed(bundle), extra));
    const outcome = await handler('1.0.0').run(job);
    return { job, outcome };
  }

  describe('validate', () => {
    it('accepts a complete document', () => {
      expect(handler('1.0.0').validate(documentFor(signed(bundle)))).toBeNull();
    });

    it('names every problem at once', () => {
      const problem = handler('1.0.0').validate({
        operation: 'update-agent',
        version: '../etc',
        bundle: { url: 's3://bucket/key', sha256: 1 },
        healthTimeoutSeconds: 1,
      });
      expect(problem).toContain('version: expected a release version');
      expect(problem).toContain('s3:// URLs cannot be fetched by the device; use a presigned HTTPS URL');
      expect(problem).toContain('bundle.sha256: expected the hex SHA-256');
      expect(problem).toContain('healthTimeoutSeconds: expected an integer 5-3600, got 1');
    });
  });

  it('installs a signed bundle beside the running release, switches and asks for a restart', async () => {
    const { job, outcome } = await installed({ healthTimeoutSeconds: 45 });
    expect(outcome).toEqual({
      status: 'RESTARTING',
      details: { step: 'restarting', version: '1.1.0', previous: '1.0.0' },
    });
    expect(await readFile(join(root, 'releases/1.1.0/coffee-iot-agent.mjs'), 'utf8')).toBe(
      "console.log('agent 1.1.0');\n",
    );
    expect(await readlink(join(root, 'current'))).toBe('releases/1.1.0');
    expect(await readlink(join(root, 'previous'))).toBe('releases/1.0.0');
    expect(await readFile(join(root, 'update-state/pending'), 'utf8')).toBe(
      'version=1.1.0\nprevious=1.0.0\njob=update-1\ntimeout=45\nmaxAttempts=3\nattempts=0\n',
    );
    expect(job.saved).toEqual({ version: '1.1.0', previous: '1.0.0', timeout: '45' });
    expect(job.progressed.map((details) => details.step)).toEqual(['downloading', 'installing']);
  });

  it('in the new agent, once connected and publishing, marks the update good: SUCCEEDED', async () => {
    const { job } = await installed();
    healthy = true;
    const outcome = await handler('1.1.0').run(fakeJob(job.document, job.saved));
    expect(outcome).toEqual({ status: 'SUCCEEDED', details: { version: '1.1.0', previous: '1.0.0' } });
    expect(existsSync(join(root, 'update-state/pending'))).toBe(false);
    expect(await readlink(join(root, 'current'))).toBe('releases/1.1.0');
  });

  describe('refuses a bundle that does not verify, changing nothing on disk', () => {
    async function refused(document: JobDocument, bytes: Uint8Array = bundle): Promise<JobOutcome> {
      await writeFile(bundlePath, bytes);
      const before = await snapshotTree(root);
      const job = fakeJob(document);
      const outcome = await handler('1.0.0').run(job);
      expect(await snapshotTree(root)).toEqual(before);
      expect(job.saved).toBeUndefined();
      return outcome;
    }

    function flipped(): Buffer {
      const copy = Buffer.from(bundle);
      copy[100] = (copy[100] ?? 0) ^ 0xff;
      return copy;
    }

    it('a flipped byte (digest check)', async () => {
      const outcome = await refused(documentFor(signed(bundle)), flipped());
      expect(outcome.status).toBe('FAILED');
      expect(outcome.details.check).toBe('digest');
      expect(outcome.details.reason).toMatch(/^SHA-256 check failed/);
    });

    it('a flipped byte with a digest to match (signature check)', async () => {
      const tampered = flipped();
      const document = documentFor({ ...signed(bundle), sha256: signed(tampered).sha256 });
      const outcome = await refused(document, tampered);
      expect(outcome.details).toMatchObject({ check: 'signature' });
      expect(outcome.details.reason).toMatch(/^signature check failed/);
    });

    it('a bundle signed by another key', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      const outcome = await refused(documentFor(signed(bundle, other)));
      expect(outcome.details).toMatchObject({ check: 'signature' });
    });

    it('a wrong digest in the job', async () => {
      const outcome = await refused(documentFor({ ...signed(bundle), sha256: '0'.repeat(64) }));
      expect(outcome.details).toMatchObject({ check: 'digest' });
    });

    it('a missing signature', async () => {
      const outcome = await refused(documentFor({ sha256: signed(bundle).sha256 }));
      expect(outcome.details).toMatchObject({ check: 'missing-signature' });
      expect(outcome.details.reason).toContain('the job has no signature');
    });

    it('a device key that is not P-256', async () => {
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
      await writeFile(publicKeyPath, p384.export({ type: 'spki', format: 'pem' }) as string);
      const outcome = await refused(documentFor(signed(bundle)));
      expect(outcome.details).toMatchObject({ check: 'key' });
      expect(outcome.details.reason).toContain('EC key on secp384r1');
    });

    it('no updatePublicKeyPath configured', async () => {
      await writeFile(bundlePath, bundle);
      const outcome = await handler('1.0.0', { publicKeyPath: undefined }).run(
        fakeJob(documentFor(signed(bundle))),
      );
      expect(outcome.details.reason).toContain('updatePublicKeyPath is not set');
    });
  });

  it.each([
    [
      'another version than the job names',
      { version: '9.9.9' },
      'the bundle is release 9.9.9, but the job names 1.1.0',
    ],
    ['another architecture', { arch: 'mips' }, 'the bundle is the mips release'],
    [
      'native modules for another Node',
      { node: [{ version: '18.0.0', abi: 108 }] },
      'built for Node ABI 108',
    ],
  ])('signed but built for %s: not installed, and no trace left', async (_name, manifest, reason) => {
    bundle = await buildReleaseTarball({ version: '1.1.0', manifest });
    await writeFile(bundlePath, bundle);
    const before = await snapshotTree(root);
    const outcome = await handler('1.0.0').run(fakeJob(documentFor(signed(bundle))));
    expect(outcome.status).toBe('FAILED');
    expect(outcome.details.reason).toContain(reason);
    const after = await snapshotTree(root);
    expect(after).toEqual({ ...before, releases: '<dir>' });
  });

  it('refuses to run on an install without the current link', async () => {
    await rm(join(root, 'current'));
    const outcome = await handler('1.0.0').run(fakeJob(documentFor(signed(bundle))));
    expect(outcome.details.reason).toContain('current is missing: this agent was not installed side by side');
  });

  it('rolls back when the new agent is not connected and publishing within the timeout, and the old agent reports FAILED', async () => {
    const { job } = await installed({ healthTimeoutSeconds: 60 });
    vi.useFakeTimers({ now: new Date('2026-12-07T12:00:00Z') });
    // The launcher records the new agent's first start.
    const pending = await readFile(join(root, 'update-state/pending'), 'utf8');
    await writeFile(
      join(root, 'update-state/pending'),
      `${pending}started=${Math.floor(Date.now() / 1000)}\n`,
    );

    const newAgent = handler('1.1.0', { clock: { now: () => Date.now() } });
    let outcome: JobOutcome | undefined;
    void newAgent.run(fakeJob(job.document, job.saved)).then((result) => {
      outcome = result;
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(outcome).toBeUndefined();
    expect(await readlink(join(root, 'current'))).toBe('releases/1.1.0');
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(outcome).toBeDefined());
    expect(outcome).toEqual({
      status: 'RESTARTING',
      details: { step: 'rolling-back', version: '1.1.0', previous: '1.0.0' },
    });
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
    expect(existsSync(join(root, 'update-state/pending'))).toBe(false);
    vi.useRealTimers();

    // After the restart the old agent resumes the job with the same checkpoint.
    const reported = await handler('1.0.0').run(fakeJob(job.document, job.saved));
    expect(reported).toEqual({
      status: 'FAILED',
      details: {
        reason: 'new agent 1.1.0 did not connect and publish within 60 s; rolled back to 1.0.0',
        version: '1.0.0',
        rolledBackFrom: '1.1.0',
      },
    });
    expect(existsSync(join(root, 'update-state/result'))).toBe(false);
  });

  it('succeeds as soon as the first PUBACK arrives within the timeout', async () => {
    const { job } = await installed();
    vi.useFakeTimers();
    let outcome: JobOutcome | undefined;
    void handler('1.1.0', { clock: { now: () => Date.now() } })
      .run(fakeJob(job.document, job.saved))
      .then((result) => {
        outcome = result;
      });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(outcome).toBeUndefined();
    healthy = true;
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(outcome?.status).toBe('SUCCEEDED'));
  });

  it('after a power cut between the switch and the restart, undoes the switch and fails cleanly', async () => {
    const { job } = await installed();
    // The old agent starts again (no launcher run in between): current still names 1.1.0.
    const outcome = await handler('1.0.0').run(fakeJob(job.document, job.saved));
    expect(outcome.status).toBe('FAILED');
    expect(outcome.details.reason).toBe(
      'the update to 1.1.0 was interrupted before the new agent ran; still running 1.0.0',
    );
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
    expect(existsSync(join(root, 'update-state/pending'))).toBe(false);
  });

  it('when the switch itself fails, clears the pending update and fails naming it', async () => {
    // A directory where the `previous` link goes: renaming a link over it fails (EISDIR).
    await mkdir(join(root, 'previous/in-the-way'), { recursive: true });
    const { outcome } = await installed();
    expect(outcome.status).toBe('FAILED');
    expect(outcome.details.reason).toMatch(/^not switched to 1\.1\.0: .*; still running 1\.0\.0$/);
    expect(existsSync(join(root, 'update-state/pending'))).toBe(false);
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
  });

  it('refuses the version already running', async () => {
    const outcome = await handler('1.1.0').run(fakeJob(documentFor(signed(bundle))));
    expect(outcome.details.reason).toBe('1.1.0 is already the running version');
  });
});
