import { randomUUID } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ProcessInspector, systemProcesses } from './process-identity.js';
import { DataDirError, DataDirInUseError } from './stack-errors.js';

export const LOCK_FILE = 'stack.pid';

/** Directories locked by stacks of this process (tests and benchmarks run several). */
const lockedHere = new Set<string>();

/**
 * What the lock records about the stack that wrote it. A pid alone is not an identity: after a
 * crash the pid may be reused by any program (or by a later stack: containers hand out the same
 * low pids every start), so the boot and the process's start time are kept with it.
 */
interface LockOwner {
  pid: number;
  bootId: string | null;
  startTicks: string | null;
  /** For the person reading the error. */
  startedAt?: string;
}

type Verdict = 'stale' | DataDirInUseError['holder'];

export interface LockOptions {
  pid?: number;
  inspector?: ProcessInspector;
  now?: () => Date;
}

/**
 * One stack per data directory: two would fight over the LevelDB lock, the SQLite file and the
 * ports. The lock file is written aside and linked into place, so it never exists half-written;
 * a lock whose writer is gone (a crash, a kill -9, a reboot) is stale and taken over, also when
 * its pid now belongs to another process.
 */
export async function lockDataDir(
  dataDir: string,
  options: LockOptions = {},
): Promise<{ release(): Promise<void> }> {
  const pid = options.pid ?? process.pid;
  const inspector = options.inspector ?? systemProcesses;
  const path = join(dataDir, LOCK_FILE);
  if (lockedHere.has(path)) throw new DataDirInUseError(dataDir, path, pid, 'this process');
  const self: LockOwner = {
    pid,
    bootId: inspector.bootId(),
    startTicks: inspector.inspect(pid)?.startTicks ?? null,
    startedAt: (options.now?.() ?? new Date()).toISOString(),
  };
  const text = `${JSON.stringify(self)}\n`;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await createExclusively(path, text)) {
      lockedHere.add(path);
      return {
        async release() {
          lockedHere.delete(path);
          // Only our own lock: a stack that (wrongly) took it over keeps its own.
          if ((await readFile(path, 'utf8').catch(() => '')) === text) await rm(path, { force: true });
        },
      };
    }
    const holder = parseOwner(await readFile(path, 'utf8').catch(() => ''));
    const verdict = holder === null ? 'stale' : judge(holder, self, inspector);
    if (holder !== null && verdict !== 'stale') {
      throw new DataDirInUseError(dataDir, path, holder.pid, verdict, holder.startedAt);
    }
    await rm(path, { force: true });
  }
  throw new DataDirError(dataDir, `its lock ${path} keeps reappearing (another program re-creating it?)`);
}

/** Is the lock's writer still running? */
function judge(holder: LockOwner, self: LockOwner, inspector: ProcessInspector): Verdict {
  const known = (a: string | null, b: string | null) => a !== null && b !== null;
  if (holder.pid === self.pid) {
    // Our pid: written by this very process (another copy of this module), or by an earlier
    // process that had our pid, which is therefore gone.
    const same =
      known(holder.bootId, self.bootId) &&
      known(holder.startTicks, self.startTicks) &&
      holder.bootId === self.bootId &&
      holder.startTicks === self.startTicks;
    return same ? 'this process' : 'stale';
  }
  const live = inspector.inspect(holder.pid);
  if (live === null) return 'stale';
  if (known(holder.bootId, self.bootId) && holder.bootId !== self.bootId) return 'stale';
  if (known(holder.startTicks, live.startTicks)) {
    return holder.startTicks === live.startTicks ? 'another process' : 'stale';
  }
  // An old lock holding only a pid, or an OS that does not say when processes started.
  return 'unverified';
}

/** The lock's content; a bare pid is the format before boot and start time were recorded. */
function parseOwner(text: string): LockOwner | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), bootId: null, startTicks: null };
  try {
    const owner = JSON.parse(trimmed) as Partial<LockOwner>;
    if (!Number.isSafeInteger(owner.pid) || (owner.pid as number) <= 0) return null;
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
    return {
      pid: owner.pid as number,
      bootId: text(owner.bootId),
      startTicks: text(owner.startTicks),
      ...(typeof owner.startedAt === 'string' ? { startedAt: owner.startedAt } : {}),
    };
  } catch {
    // Half-written by a stack that crashed while creating it (before locks were linked into place).
    return null;
  }
}

/** Creates `path` holding `text` only if it does not exist; false when it does. */
async function createExclusively(path: string, text: string): Promise<boolean> {
  const aside = `${path}.${randomUUID()}.tmp`;
  await writeFile(aside, text);
  try {
    await link(aside, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links: an exclusive create (briefly empty, read as stale).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      return writeFile(path, text, { flag: 'wx' }).then(
        () => true,
        (failure: NodeJS.ErrnoException) => {
          if (failure.code === 'EEXIST') return false;
          throw failure;
        },
      );
    }
    throw error;
  } finally {
    await rm(aside, { force: true });
  }
}
