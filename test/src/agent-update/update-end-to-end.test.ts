import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobDocument } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { main as coffeeIot } from '../../../cloud/src/cli/main.js';
import type { JobRun } from '../../../device/src/jobs/job-handler.js';
import { silentLogger } from '../../../device/src/ports/logger.js';
import { buildReleaseTarball } from '../../../device/src/testing/release-tarball.js';
import { UpdateAgentHandler } from '../../../device/src/update/update-agent-handler.js';

// The whole update path with its real parts: a bundle signed by `coffee-iot sign-bundle`, the
// update-agent handler installing and switching it, the unit's launcher starting it with node,
// and the handler's resumed run reporting the outcome. Only the agents are stand-ins: small
// scripts that behave like a healthy or a crashing agent.
const LAUNCHER = fileURLToPath(new URL('../../../device/scripts/coffee-iot-launch.sh', import.meta.url));

describe('agent update, end to end', () => {
  let dir: string;
  let root: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-update-e2e-'));
    root = join(dir, 'opt');
    await mkdir(join(root, 'releases/1.0.0'), { recursive: true });
    await writeFile(
      join(root, 'releases/1.0.0/coffee-iot-agent.mjs'),
      'console.log(["agent 1.0.0", ...process.argv.slice(2)].join(" "));\n',
    );
    await symlink('releases/1.0.0', join(root, 'current'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(argv: string[]): Promise<string> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: dir,
    };
    const code = await coffeeIot(argv, io);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    return stdout;
  }

  /** The operator's side: a key pair, a release, its signature, the job document. */
  async function signedJob(agent: string, extra: Record<string, unknown> = {}): Promise<JobDocument> {
    await cli(['sign-bundle', '--generate-key', 'keys']);
    const bundle = join(dir, 'coffee-iot-agent-1.1.0.tar.gz');
    await writeFile(bundle, await buildReleaseTarball({ version: '1.1.0', agent }));
    const signature = JSON.parse(
      await cli(['sign-bundle', '--key', 'keys/update-signing-key.pem', bundle, '--json']),
    );
    return {
      operation: 'update-agent',
      version: '1.1.0',
      bundle: { url: `file://${bundle}`, ...signature },
      ...extra,
    };
  }

  function handler(runningVersion: string, healthy = false): UpdateAgentHandler {
    return new UpdateAgentHandler({
      publicKeyPath: join(dir, 'keys/update-public-key.pem'),
      runningVersion,
      installRoot: root,
      health: { hasPublished: () => healthy },
      logger: silentLogger(),
    });
  }

  function job(document: JobDocument, journal: { checkpoint?: Record<string, string> }): JobRun {
    return {
      jobId: 'update-e2e',
      document,
      signal: new AbortController().signal,
      checkpoint: journal.checkpoint,
      saveCheckpoint: async (state) => {
        journal.checkpoint = { ...state };
      },
      progress: async () => {},
    };
  }

  /** systemd starting the unit: the launcher with this machine's node. */
  function startUnit(onOutput: (text: string) => void): Promise<number | null> {
    const child = spawn('sh', [LAUNCHER, process.execPath, '--config', '/etc/coffee-iot/agent.json'], {
      env: { ...process.env, COFFEE_IOT_ROOT: root, COFFEE_IOT_RETRY_PAUSE: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      onOutput(output);
    });
    return new Promise((resolve) => child.on('close', resolve));
  }

  it('installs a signed bundle, starts it through the launcher, and reports SUCCEEDED once it is healthy', async () => {
    // Runs until the update is marked good (the pending file goes), as a connected agent would.
    const healthyAgent = [
      "import { existsSync } from 'node:fs';",
      "console.log('agent 1.1.0 running');",
      `const timer = setInterval(() => { if (!existsSync(${JSON.stringify(join(root, 'update-state/pending'))})) { console.log('agent 1.1.0 marked good'); clearInterval(timer); } }, 20);`,
      'setTimeout(() => process.exit(3), 15000).unref();',
    ].join('\n');
    const document = await signedJob(healthyAgent);
    const journal: { checkpoint?: Record<string, string> } = {};
    expect((await handler('1.0.0').run(job(document, journal))).status).toBe('RESTARTING');

    let output = '';
    let running: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      running = resolve;
    });
    const unit = startUnit((text) => {
      output = text;
      if (text.includes('agent 1.1.0 running')) running();
    });
    await started;
    // The jobs service resumes the job in the new agent, which is connected and publishing.
    const outcome = await handler('1.1.0', true).run(job(document, journal));
    expect(outcome).toEqual({ status: 'SUCCEEDED', details: { version: '1.1.0', previous: '1.0.0' } });
    expect(await unit).toBe(0);
    expect(output).toBe('agent 1.1.0 running\nagent 1.1.0 marked good\n');
    expect(await readlink(join(root, 'current'))).toBe('releases/1.1.0');
    expect(await readlink(join(root, 'previous'))).toBe('releases/1.0.0');
  });

  it('rolls back a bundle whose agent crashes before it connects, and the old agent reports FAILED', async () => {
    const document = await signedJob("console.log('agent 1.1.0 cannot connect'); process.exit(1);", {
      startAttempts: 2,
    });
    const journal: { checkpoint?: Record<string, string> } = {};
    expect((await handler('1.0.0').run(job(document, journal))).status).toBe('RESTARTING');

    let output = '';
    expect(await startUnit((text) => (output = text))).toBe(0);
    expect(output).toBe(
      'agent 1.1.0 cannot connect\nagent 1.1.0 cannot connect\nagent 1.0.0 --config /etc/coffee-iot/agent.json\n',
    );
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');

    const outcome = await handler('1.0.0').run(job(document, journal));
    expect(outcome).toEqual({
      status: 'FAILED',
      details: {
        reason:
          'new agent 1.1.0 exited 2 times (last exit code 1) before it was connected and publishing; rolled back to 1.0.0',
        version: '1.0.0',
        rolledBackFrom: '1.1.0',
      },
    });
    expect(await readFile(join(root, 'releases/1.0.0/coffee-iot-agent.mjs'), 'utf8')).toContain(
      'agent 1.0.0',
    );
  });
});
