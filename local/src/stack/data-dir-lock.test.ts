import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.js';
import type { ProcessInspector } from './process-identity.js';
import { DataDirInUseError } from './stack-errors.js';

const BOOT = 'boot-a';

/** A machine where the listed pids are alive, each with its start time. */
function machine(live: Record<number, string | null>, bootId: string | null = BOOT): ProcessInspector {
  return {
    bootId: () => bootId,
    inspect: (pid) => (pid in live ? { startTicks: live[pid] ?? null } : null),
  };
}

function lockText(owner: object): string {
  return `${JSON.stringify(owner)}\n`;
}

describe('one stack per data directory', () => {
  let dir: TempDir;
  let lockPath: string;
  beforeEach(async () => {
    dir = await tempDir('lock');
    lockPath = join(dir.dir, LOCK_FILE);
  });
  afterEach(() => dir.remove());

  it('records its pid, boot and start time, and gives the lock back', async () => {
    const lock = await lockDataDir(dir.dir, { pid: 4242, inspector: machine({ 4242: '900' }) });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({
      pid: 4242,
      bootId: BOOT,
      startTicks: '900',
    });
    // Written aside and linked into place: no temporary file is left behind.
    expect(await readdir(dir.dir)).toEqual([LOCK_FILE]);
    await lock.release();
    await expect(readFile(lockPath)).rejects.toThrow(/ENOENT/);
  });

  it('refuses while the stack that wrote the lock is alive, naming its pid and how to stop it', async () => {
    await writeFile(lockPath, lockText({ pid: 777, bootId: BOOT, startTicks: '500' }));
    const error = await lockDataDir(dir.dir, {
      pid: 4242,
      inspector: machine({ 777: '500', 4242: '900' }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirInUseError);
    expect(error).toMatchObject({ path: dir.dir, pid: 777, verified: true });
    const message = (error as Error).message;
    expect(message).toContain(dir.dir);
    expect(message).toContain('pid 777');
    expect(message).toContain('kill 777');
    expect(message).toContain('--data-dir');
    // Not the hint for an unwritable directory, and no advice to delete a live stack's lock.
    expect(message).not.toMatch(/permission/i);
    expect(message).not.toContain(lockPath);
    // The live stack's lock is untouched.
    expect(await readFile(lockPath, 'utf8')).toBe(lockText({ pid: 777, bootId: BOOT, startTicks: '500' }));
  });

  it('takes over a lock whose process is gone', async () => {
    await writeFile(lockPath, lockText({ pid: 777, bootId: BOOT, startTicks: '500' }));
    const lock = await lockDataDir(dir.dir, { pid: 4242, inspector: machine({ 4242: '900' }) });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: 4242 });
    await lock.release();
  });

  it('takes over a lock whose pid now belongs to an unrelated process (started later)', async () => {
    await writeFile(lockPath, lockText({ pid: 777, bootId: BOOT, startTicks: '500' }));
    const lock = await lockDataDir(dir.dir, {
      pid: 4242,
      inspector: machine({ 777: '123456', 4242: '900' }),
    });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: 4242, startTicks: '900' });
    await lock.release();
  });

  it('takes over a lock written before the last reboot, whatever runs under that pid now', async () => {
    await writeFile(lockPath, lockText({ pid: 777, bootId: 'boot-before', startTicks: '500' }));
    const lock = await lockDataDir(dir.dir, {
      pid: 4242,
      inspector: machine({ 777: '500', 4242: '900' }),
    });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: 4242 });
    await lock.release();
  });

  it('takes over a lock holding its own pid from an earlier run (containers reuse low pids)', async () => {
    await writeFile(lockPath, lockText({ pid: 7, bootId: BOOT, startTicks: '1' }));
    const lock = await lockDataDir(dir.dir, { pid: 7, inspector: machine({ 7: '900' }) });
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: 7, startTicks: '900' });
    await lock.release();
  });

  it('takes over an empty or unreadable lock file', async () => {
    await writeFile(lockPath, '');
    const lock = await lockDataDir(dir.dir, { pid: 4242, inspector: machine({ 4242: '900' }) });
    await lock.release();
    await writeFile(lockPath, '{not json');
    const again = await lockDataDir(dir.dir, { pid: 4242, inspector: machine({ 4242: '900' }) });
    await again.release();
  });

  it.each([
    ['an old lock holding only a pid', '777\n', machine({ 777: '500', 4242: '900' })],
    [
      'a system that does not tell when a process started',
      lockText({ pid: 777, bootId: null, startTicks: null }),
      machine({ 777: null, 4242: null }, null),
    ],
  ])(
    'cannot tell with %s: refuses, saying how to check the pid and which file to delete',
    async (_case, text, inspector) => {
      await writeFile(lockPath, text);
      const error = await lockDataDir(dir.dir, { pid: 4242, inspector }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirInUseError);
      expect(error).toMatchObject({ pid: 777, verified: false });
      const message = (error as Error).message;
      expect(message).toContain('pid 777');
      expect(message).toContain('ps -p 777');
      expect(message).toContain(`delete ${lockPath}`);
      expect(message).not.toMatch(/permission/i);
    },
  );

  it('refuses a second stack in this same process', async () => {
    const inspector = machine({ 4242: '900' });
    const first = await lockDataDir(dir.dir, { pid: 4242, inspector });
    const error = await lockDataDir(dir.dir, { pid: 4242, inspector }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirInUseError);
    expect((error as Error).message).toContain('pid 4242, this process');
    await first.release();
  });
});

// The real /proc: a pid that is alive but is not the stack that wrote the lock.
describe.runIf(existsSync('/proc/self/stat'))('one stack per data directory, with real processes', () => {
  let dir: TempDir;
  let lockPath: string;
  let sleeper: ChildProcess;
  beforeEach(async () => {
    dir = await tempDir('lock-real');
    lockPath = join(dir.dir, LOCK_FILE);
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    await once(sleeper, 'spawn');
  });
  afterEach(async () => {
    sleeper.kill('SIGKILL');
    await dir.remove();
  });

  /** What /proc says about `pid`, read here independently of the code under test. */
  async function realIdentity(pid: number): Promise<{ bootId: string; startTicks: string }> {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      bootId: (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim(),
      startTicks: afterComm[19] as string,
    };
  }

  it.each([
    ['a spawned sleep', () => sleeper.pid as number],
    ["the test's own parent", () => process.ppid],
  ])('takes over a stale lock whose pid is now %s', async (_case, pidOf) => {
    const pid = pidOf();
    const real = await realIdentity(pid);
    // As a crashed stack left it: same pid, same boot, an earlier start.
    const stale = { pid, bootId: real.bootId, startTicks: String(Number(real.startTicks) - 1) };
    await writeFile(lockPath, lockText(stale));
    const lock = await lockDataDir(dir.dir);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(() => process.kill(sleeper.pid as number, 0)).not.toThrow();
  });

  it('refuses a lock whose writer is that very process, still running', async () => {
    const pid = sleeper.pid as number;
    await writeFile(lockPath, lockText({ pid, ...(await realIdentity(pid)) }));
    const error = await lockDataDir(dir.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirInUseError);
    expect(error).toMatchObject({ pid, verified: true });
    expect((error as Error).message).toContain(`kill ${pid}`);
  });
});
