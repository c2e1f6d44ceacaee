import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJobDocument } from '../../../cloud/src/fleet-control/job-documents.js';
import { updateJobParameters } from '../../../cloud/src/fleet-control/update-job-document.js';
import { generateSigningKeyPair } from '../../../cloud/src/update/bundle-signing.js';
import { parseUpdatePublicKey, verifyBundle } from '../../../device/src/update/bundle-verification.js';
import { readUpdateDocument, updateDocumentProblems } from '../../../device/src/update/update-document.js';
import { runCli } from '../cli/run-cli.js';

/** What `coffee-iot jobs run update-agent --bundle` puts in the job is what the agent accepts and verifies. */
describe('update-agent job documents from the bundle', () => {
  let dir: string;
  let bundlePath: string;
  let keyPath: string;
  let publicKeyPem: string;
  const bytes = randomBytes(4096);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'update-job-'));
    bundlePath = join(dir, 'coffee-iot-agent-1.2.3-linux-arm64.tar.gz');
    await writeFile(bundlePath, bytes);
    const pair = generateSigningKeyPair();
    keyPath = join(dir, 'key.pem');
    await writeFile(keyPath, pair.privateKeyPem, { mode: 0o600 });
    publicKeyPem = pair.publicKeyPem;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('signs the file, names its version from the file name, and the agent verifies it', async () => {
    const parameters = await updateJobParameters({
      bundlePath,
      keyPath,
      url: undefined,
      version: undefined,
      healthTimeoutSeconds: undefined,
    });
    const document = buildJobDocument('update-agent', parameters);
    expect(updateDocumentProblems(document)).toEqual([]);
    const read = readUpdateDocument(document);
    expect(read.version).toBe('1.2.3');
    expect(read.url).toBe(`file://${bundlePath}`);
    const key = parseUpdatePublicKey(publicKeyPem, 'test key');
    expect(() => verifyBundle(bytes, read, key)).not.toThrow();
    // One byte changed: the same claims no longer hold.
    const tampered = Buffer.from(bytes);
    tampered[100] = (tampered[100] ?? 0) ^ 1;
    expect(() => verifyBundle(tampered, read, key)).toThrow(/digest|SHA-256/i);
  });

  it('refuses in usage what cannot be right: --bundle without --key, --aws without --url, flags for another operation', async () => {
    const usage = async (...argv: string[]) => {
      const run = await runCli(['jobs', 'run', ...argv]);
      expect(run.code, run.stderr).toBe(2);
      return run.stderr;
    };
    expect(await usage('update-agent', '--things', 'p', '--bundle', bundlePath)).toMatch(
      /--bundle FILE and --key/,
    );
    expect(
      await usage('update-agent', '--things', 'p', '--bundle', bundlePath, '--key', keyPath, '--aws'),
    ).toMatch(/--url/);
    expect(await usage('restart', '--things', 'p', '--bundle', bundlePath)).toMatch(
      /--bundle is for jobs run update-agent/,
    );
  });

  it('names a file whose version it cannot tell', async () => {
    const odd = join(dir, 'agent.tgz');
    await writeFile(odd, bytes);
    await expect(
      updateJobParameters({
        bundlePath: odd,
        keyPath,
        url: undefined,
        version: undefined,
        healthTimeoutSeconds: undefined,
      }),
    ).rejects.toThrow(/--version/);
  });
});
