import { access, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import { CompactionJournalError } from '../lake-errors.js';

/**
 * A merge's journal, written (durably) in the partition before the merged file exists and
 * removed after its inputs are: while it is there the partition may hold the merged file and its
 * inputs both, and the journal says which files to delete to be left with each row once.
 *
 * It lives in the partition directory on purpose: a replay replaces the whole directory, journal
 * included, so a journal never outlives the files it names.
 */
export interface CompactionJournal {
  /** The process that wrote it: recovery leaves a live process's merges alone. */
  readonly pid: number;
  /** The merged file's name in the partition. */
  readonly output: string;
  /** The hidden name it is written under before it is renamed into place. */
  readonly temp: string;
  /** The files it replaces, by name in the partition. */
  readonly inputs: readonly string[];
}

const PREFIX = '.compaction-';
const SUFFIX = '.json';

export function journalName(id: string): string {
  return `${PREFIX}${id}${SUFFIX}`;
}

export function isJournalName(name: string): boolean {
  return name.startsWith(PREFIX) && name.endsWith(SUFFIX);
}

export async function writeJournal(path: string, journal: CompactionJournal): Promise<void> {
  await writeFileAtomically(path, Buffer.from(JSON.stringify(journal)), { durable: true });
}

/** The journal at `path`, or null when it is gone (retired, or its partition was replaced). */
export async function readJournal(path: string): Promise<CompactionJournal | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CompactionJournalError(path, { cause: error });
  }
  try {
    const journal = JSON.parse(text) as Partial<CompactionJournal>;
    if (
      typeof journal.pid !== 'number' ||
      typeof journal.output !== 'string' ||
      typeof journal.temp !== 'string' ||
      !Array.isArray(journal.inputs) ||
      !journal.inputs.every((name) => typeof name === 'string')
    ) {
      throw new Error('not a compaction journal');
    }
    return journal as CompactionJournal;
  } catch (error) {
    throw new CompactionJournalError(path, { cause: error });
  }
}

/** The journals in a partition directory (names), none when it does not exist. */
export async function journalsIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isJournalName).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Settles a journal, whatever step its merge reached: when the merged file is in place its
 * inputs are deleted (it holds all their rows), otherwise the half-written temp is (the inputs
 * still hold the rows); then the journal goes. Safe to repeat after a crash at any point.
 * Returns what it found: 'replaced' (inputs deleted) or 'abandoned' (merge undone).
 */
export async function settleJournal(
  dir: string,
  name: string,
  journal: CompactionJournal,
  afterInputRemoved?: () => Promise<void> | void,
): Promise<'replaced' | 'abandoned'> {
  const published = await exists(join(dir, journal.output));
  if (published) {
    for (const input of journal.inputs) {
      await rm(join(dir, input), { force: true });
      await afterInputRemoved?.();
    }
  }
  await rm(join(dir, journal.temp), { force: true });
  await rm(join(dir, name), { force: true });
  return published ? 'replaced' : 'abandoned';
}
