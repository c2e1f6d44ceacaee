import { describe, expect, it } from 'vitest';
import type { ClockSyncPort } from './clock-sync-port.js';
import { type CommandRunner, nodeCommandRunner } from './command-runner.js';
import { FakeClockSync } from './fake-clock-sync.js';
import { SystemdClockSync, TIMESYNC_SYNCHRONIZED_FILE } from './systemd-clock-sync.js';

const missing: CommandRunner = async () => {
  throw Object.assign(new Error('spawn timedatectl ENOENT'), { code: 'ENOENT' });
};
const answers =
  (stdout: string): CommandRunner =>
  async () => ({ stdout });
const files =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

/** Both adapters answer each situation the same way, and neither ever rejects. */
const cases: { name: string; expected: string; real: () => ClockSyncPort; fake: () => ClockSyncPort }[] = [
  {
    name: 'synchronised',
    expected: 'synchronized',
    real: () => new SystemdClockSync({ run: answers('yes\n'), exists: files() }),
    fake: () => new FakeClockSync('synchronized'),
  },
  {
    name: 'not yet synchronised',
    expected: 'unsynchronized',
    real: () => new SystemdClockSync({ run: answers('no\n'), exists: files(TIMESYNC_SYNCHRONIZED_FILE) }),
    fake: () => new FakeClockSync('unsynchronized'),
  },
  {
    name: 'no way to tell',
    expected: 'unknown',
    real: () => new SystemdClockSync({ run: missing, exists: files() }),
    fake: () => new FakeClockSync('unknown'),
  },
];

describe.each(['real', 'fake'] as const)('ClockSyncPort contract (%s)', (kind) => {
  it.each(cases)('answers $expected when $name', async ({ expected, real, fake }) => {
    const port = kind === 'real' ? real() : fake();
    await expect(port.check()).resolves.toBe(expected);
  });
});

describe('SystemdClockSync', () => {
  it('asks timedatectl for NTPSynchronized, without a shell, with a timeout', async () => {
    const calls: unknown[] = [];
    const port = new SystemdClockSync({
      run: async (file, args, timeoutMs) => {
        calls.push([file, args, timeoutMs]);
        return { stdout: 'yes\n' };
      },
      exists: files(),
    });
    await port.check();
    expect(calls).toEqual([['timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], 3000]]);
  });

  it('believes timedatectl over the timesyncd file: a manual date -s leaves the file behind', async () => {
    const port = new SystemdClockSync({ run: answers('no\n'), exists: files(TIMESYNC_SYNCHRONIZED_FILE) });
    await expect(port.check()).resolves.toBe('unsynchronized');
  });

  it('falls back to the timesyncd file when timedatectl is missing, fails or says something else', async () => {
    for (const run of [missing, answers(''), answers('maybe')]) {
      await expect(
        new SystemdClockSync({
          run,
          exists: files(TIMESYNC_SYNCHRONIZED_FILE, '/run/systemd/timesync'),
        }).check(),
      ).resolves.toBe('synchronized');
      await expect(
        new SystemdClockSync({ run, exists: files('/run/systemd/timesync') }).check(),
      ).resolves.toBe('unsynchronized');
    }
  });

  it('answers unknown, not an exception, when even /run cannot be read', async () => {
    const port = new SystemdClockSync({
      run: missing,
      exists: () => {
        throw new Error('EACCES');
      },
    });
    await expect(port.check()).resolves.toBe('unknown');
  });
});

describe('nodeCommandRunner', () => {
  it('returns what the program printed, and rejects when it is missing, fails or overruns', async () => {
    const node = process.execPath;
    await expect(nodeCommandRunner(node, ['-e', 'process.stdout.write("yes\\n")'], 5000)).resolves.toEqual({
      stdout: 'yes\n',
    });
    await expect(nodeCommandRunner('/nonexistent/timedatectl', [], 5000)).rejects.toThrow(/ENOENT/);
    await expect(nodeCommandRunner(node, ['-e', 'process.exit(1)'], 5000)).rejects.toThrow();
    await expect(nodeCommandRunner(node, ['-e', 'setTimeout(() => {}, 10000)'], 200)).rejects.toThrow();
  });
});
