import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The launcher the unit's ExecStart runs, driven with stand-in agents written in sh (started by
// /bin/sh in place of node) so each case costs milliseconds, not a Node start-up.
const LAUNCHER = fileURLToPath(new URL('../../../device/scripts/coffee-iot-launch.sh', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('coffee-iot-launch', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'coffee-iot-launch-'));
    await agent('1.0.0', 'echo "agent 1.0.0 $*"\nexit 0');
    await mkdir(join(root, 'update-state'));
    await symlink('releases/1.0.0', join(root, 'current'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** releases/VERSION/coffee-iot-agent.mjs as a sh script. */
  async function agent(version: string, script: string): Promise<void> {
    await mkdir(join(root, 'releases', version), { recursive: true });
    await writeFile(join(root, 'releases', version, 'coffee-iot-agent.mjs'), `${script}\n`);
  }

  /** What the update job leaves before its restart: the new release current, an update pending. */
  async function pendingUpdate(lines: Record<string, string | number> = {}): Promise<void> {
    const values = {
      version: '1.1.0',
      previous: '1.0.0',
      job: 'job-1',
      timeout: 30,
      maxAttempts: 3,
      attempts: 0,
      ...lines,
    };
    await writeFile(
      join(root, 'update-state/pending'),
      Object.entries(values)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
    );
    await rm(join(root, 'current'));
    await symlink('releases/1.1.0', join(root, 'current'));
  }

  function start(...args: string[]): ChildProcess {
    return spawn('sh', [LAUNCHER, '/bin/sh', ...args], {
      env: { ...process.env, COFFEE_IOT_ROOT: root, COFFEE_IOT_RETRY_PAUSE: '0' },
    });
  }

  function launch(...args: string[]): Promise<Run> {
    return launchWith({}, ...args);
  }

  function launchWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        'sh',
        [LAUNCHER, '/bin/sh', ...args],
        {
          env: { ...process.env, COFFEE_IOT_ROOT: root, COFFEE_IOT_RETRY_PAUSE: '0', ...env },
          timeout: 20_000,
        },
        (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        },
      );
    });
  }

  async function result(): Promise<string> {
    return readFile(join(root, 'update-state/result'), 'utf8');
  }

  it('is POSIX sh that shellcheck finds clean', async () => {
    const check = await new Promise<Run>((resolve) => {
      execFile('shellcheck', ['--shell=sh', LAUNCHER], (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, stdout, stderr }),
      );
    });
    expect(check.stdout).toBe('');
    expect(check.code).toBe(0);
  });

  it('without a pending update runs current with the arguments, passing its exit code on', async () => {
    await agent('1.0.0', 'echo "agent 1.0.0 $*"\nexit 7');
    const run = await launch('--config', '/etc/coffee-iot/agent.json');
    expect(run.stdout).toBe('agent 1.0.0 --config /etc/coffee-iot/agent.json\n');
    expect(run.code).toBe(7);
  });

  it('puts COFFEE_IOT_NODE_FLAGS before the agent file, one word per flag, with and without an update pending', async () => {
    // sh's -u and -f stand in for node's V8 flags: the stand-in agent sees them in $-.
    await agent('1.0.0', 'case $- in *u*f* | *f*u*) echo "flags on $*" ;; *) echo "no flags $*" ;; esac');
    await agent(
      '1.1.0',
      `rm -f ${join(root, 'update-state/pending')}\ncase $- in *u*f* | *f*u*) echo "flags on $*" ;; *) echo "no flags $*" ;; esac`,
    );
    expect((await launch('--config', 'a.json')).stdout).toBe('no flags --config a.json\n');
    const flags = { COFFEE_IOT_NODE_FLAGS: '-u -f' };
    expect((await launchWith(flags, '--config', 'a.json')).stdout).toBe('flags on --config a.json\n');
    await pendingUpdate();
    expect((await launchWith(flags, '--config', 'a.json')).stdout).toBe('flags on --config a.json\n');
  });

  it('runs a new release that becomes healthy and leaves it current', async () => {
    // The real agent removes the pending file once connected and publishing.
    await agent('1.1.0', `echo "agent 1.1.0 $*"\nrm -f "$COFFEE_IOT_ROOT/update-state/pending"\nexit 0`);
    await pendingUpdate();
    const run = await launch('--config', 'x.json');
    expect(run.stdout).toBe('agent 1.1.0 --config x.json\n');
    expect(run.stderr).toContain('starting new agent 1.1.0 (attempt 1 of 3');
    expect(run.code).toBe(0);
    expect(await readlink(join(root, 'current'))).toBe('releases/1.1.0');
    expect(existsSync(join(root, 'update-state/result'))).toBe(false);
  });

  it('rolls back after maxAttempts crashes before the new agent is healthy, then runs the old one', async () => {
    await agent('1.1.0', 'echo "agent 1.1.0 crashing"\nexit 1');
    await pendingUpdate();
    const run = await launch('--config', 'x.json');
    expect(run.stdout).toBe(
      'agent 1.1.0 crashing\nagent 1.1.0 crashing\nagent 1.1.0 crashing\nagent 1.0.0 --config x.json\n',
    );
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
    expect(existsSync(join(root, 'update-state/pending'))).toBe(false);
    expect(await result()).toBe(
      [
        'status=rolled-back',
        'version=1.1.0',
        'previous=1.0.0',
        'job=job-1',
        'reason=new agent 1.1.0 exited 3 times (last exit code 1) before it was connected and publishing; rolled back to 1.0.0',
        '',
      ].join('\n'),
    );
    expect(run.code).toBe(0);
  });

  it('rolls back a release that cannot even start (no agent file in it)', async () => {
    await mkdir(join(root, 'releases/1.1.0'));
    await pendingUpdate({ maxAttempts: 2 });
    const run = await launch();
    expect(run.stdout).toBe('agent 1.0.0 \n');
    expect(await result()).toMatch(/reason=new agent 1\.1\.0 exited 2 times \(last exit code [1-9]\d*\)/);
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
  });

  it('stops a new agent that runs but is not healthy by the deadline, and rolls back', async () => {
    // Never connects: runs until it is killed.
    await agent('1.1.0', 'echo "agent 1.1.0 waiting"\nexec sleep 60');
    await pendingUpdate({ timeout: 1 });
    const began = Date.now();
    const run = await launch();
    expect(run.stdout).toBe('agent 1.1.0 waiting\nagent 1.0.0 \n');
    expect(run.stderr).toContain('new agent 1.1.0 is not connected and publishing after 1 s: stopping it');
    expect(await result()).toContain(
      'reason=new agent 1.1.0 did not connect and publish within 1 s; rolled back to 1.0.0\n',
    );
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
    // Within the timeout plus the watchdog's one-second step.
    expect(Date.now() - began).toBeLessThan(5000);
  });

  it('counts starts across restarts (a power cut mid-update): past maxAttempts it rolls back at once', async () => {
    await agent('1.1.0', 'echo "agent 1.1.0 must not run"\nexit 0');
    await pendingUpdate({ attempts: 3, started: Math.floor(Date.now() / 1000) });
    const run = await launch();
    expect(run.stdout).toBe('agent 1.0.0 \n');
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
  });

  it('rolls back at once when the deadline passed while the device was off', async () => {
    await agent('1.1.0', 'echo "agent 1.1.0 must not run"\nexit 0');
    await pendingUpdate({ attempts: 1, started: Math.floor(Date.now() / 1000) - 120, timeout: 60 });
    const run = await launch();
    expect(run.stdout).toBe('agent 1.0.0 \n');
    expect(await result()).toContain('did not connect and publish within 60 s; rolled back to 1.0.0');
  });

  it('records each start in the pending file for the next one', async () => {
    await agent(
      '1.1.0',
      `cat "$COFFEE_IOT_ROOT/update-state/pending"\nrm -f "$COFFEE_IOT_ROOT/update-state/pending"`,
    );
    await pendingUpdate({ attempts: 1, started: 2_000_000_000 - 10 });
    const run = await launch();
    expect(run.stdout).toContain('attempts=2\n');
    // A start time in the future (the clock went back) restarts the count from now.
    const started = Number(/started=(\d+)/.exec(run.stdout)?.[1]);
    expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(5);
  });

  it('on SIGTERM stops the new agent and exits with its code, leaving the update pending', async () => {
    await agent(
      '1.1.0',
      'trap \'echo "agent 1.1.0 stopping"; exit 0\' TERM\necho ready\nwhile :; do sleep 0.1; done',
    );
    await pendingUpdate();
    const child = start();
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', () => {
        if (stdout.includes('ready')) resolve();
      });
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)));
    expect(stdout).toBe('ready\nagent 1.1.0 stopping\n');
    expect(code).toBe(0);
    expect(await readlink(join(root, 'current'))).toBe('releases/1.1.0');
    expect(await readFile(join(root, 'update-state/pending'), 'utf8')).toContain('attempts=1\n');
  });

  it('ignores a pending file whose previous release is not installed', async () => {
    await agent('1.1.0', 'echo "agent 1.1.0"');
    await pendingUpdate({ previous: '0.9.0' });
    const run = await launch();
    expect(run.stdout).toBe('agent 1.1.0\n');
    expect(run.stderr).toContain('it names no version or no installed previous release');
    expect(existsSync(join(root, 'update-state/pending'))).toBe(false);
  });

  it('is executable in the repository (the bundle copies its mode)', async () => {
    expect((await stat(LAUNCHER)).mode & 0o111).not.toBe(0);
  });
});
