import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { localPath } from '../layout.js';
import { writeFileAtomically } from './atomic-file.js';
import { ReplayRecoveryError } from './lake-errors.js';

/**
 * Replacing whole partition directories so that a reader, and a crash, only ever sees a
 * partition's old files or its new ones, never a mix:
 *
 *   1. the new partitions are built under `.replay/{id}/new/` (same layout as the lake);
 *   2. a plan listing them is written durably (`plan.json`): from here on the replay is
 *      committed and will be finished, by this process or by the next one to open the lake;
 *   3. per partition, the old directory is renamed into `.replay/{id}/old/` and the new one
 *      renamed into its place (two renames: POSIX has no atomic exchange of two directories,
 *      so for that instant the partition is absent, never mixed);
 *   4. the staging directory, with the old partitions, is removed.
 *
 * A crash before 2 leaves the lake untouched (the staging is thrown away); after 2, recovery
 * re-runs 3 from wherever it stopped (each step is checked, so re-running is safe).
 */
export const STAGING_DIR = '.replay';
const PLAN = 'plan.json';
const OWNER = 'owner.json';

export interface PlannedPartition {
  /** A partition's lake key: `curated/telemetry/ingest_year=…/…/ingest_hour=HH`, `errors/…`. */
  readonly key: string;
  /** Whether the replay built anything for it; false means the partition is to be removed. */
  readonly hasNew: boolean;
}

export interface Staging {
  readonly dir: string;
  /** Build new partitions under here, with the lake's keys. */
  readonly newRoot: string;
  readonly oldRoot: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** A fresh staging directory for one replay, marked with this process as its owner. */
export async function createStaging(lakeDir: string): Promise<Staging> {
  const id = randomUUID();
  // Made under a hidden name and renamed: recovery never sees a staging directory without its owner.
  const making = join(lakeDir, STAGING_DIR, `.${id}`);
  await mkdir(join(making, 'new'), { recursive: true });
  await writeFileAtomically(
    join(making, OWNER),
    Buffer.from(JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })),
  );
  const dir = join(lakeDir, STAGING_DIR, id);
  await rename(making, dir);
  return { dir, newRoot: join(dir, 'new'), oldRoot: join(dir, 'old') };
}

/** Throws the staging away (a replay that failed before committing: the lake is untouched). */
export async function discardStaging(staging: Staging): Promise<void> {
  await rm(staging.dir, { recursive: true, force: true });
}

async function movePartition(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
}

async function applyPlan(lakeDir: string, staging: Staging, plan: readonly PlannedPartition[]) {
  for (const { key, hasNew } of plan) {
    const live = localPath(lakeDir, key);
    const next = localPath(staging.newRoot, key);
    const old = localPath(staging.oldRoot, key);
    if (hasNew && !(await exists(next))) continue; // swapped in already
    if (await exists(live)) {
      if (!(await exists(old))) await movePartition(live, old);
      else if (hasNew) {
        // The old partition was moved aside and something has written a new one since: swapping
        // ours in would drop those files, keeping theirs would drop the replay. A person decides.
        throw new ReplayRecoveryError(staging.dir, `${key} was written to while it was being replaced`);
      }
    }
    if (hasNew) await movePartition(next, live);
  }
}

/** Commits the staged partitions: after this returns, the lake has exactly the new ones. */
export async function commitStaging(
  lakeDir: string,
  staging: Staging,
  plan: readonly PlannedPartition[],
): Promise<void> {
  await writeFileAtomically(join(staging.dir, PLAN), Buffer.from(JSON.stringify({ partitions: plan })), {
    durable: true,
  });
  await applyPlan(lakeDir, staging, plan);
  await rm(staging.dir, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Finishes committed replays a crash interrupted and throws away uncommitted ones, leaving alone
 * those whose process is still running. Returns the staging directories dealt with.
 */
export async function recoverInterruptedReplays(lakeDir: string): Promise<string[]> {
  const root = join(lakeDir, STAGING_DIR);
  let ids: string[];
  try {
    ids = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const recovered: string[] = [];
  for (const id of ids) {
    if (id.startsWith('.')) continue; // being created
    const dir = join(root, id);
    const staging: Staging = { dir, newRoot: join(dir, 'new'), oldRoot: join(dir, 'old') };
    const owner = await readFile(join(dir, OWNER), 'utf8').then(
      (text) => JSON.parse(text) as { pid?: unknown },
      () => undefined,
    );
    if (typeof owner?.pid === 'number' && isAlive(owner.pid)) continue;
    const plan = await readFile(join(dir, PLAN), 'utf8').then(
      (text) => (JSON.parse(text) as { partitions: PlannedPartition[] }).partitions,
      () => undefined,
    );
    if (plan !== undefined) await applyPlan(lakeDir, staging, plan);
    await rm(dir, { recursive: true, force: true });
    recovered.push(dir);
  }
  return recovered;
}
