import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_ID_PATTERN, type JobStatusDetails } from '@coffee-iot/shared';
import { fsyncDir, TEMP_SUFFIX, writeFileDurably } from '../outbox/durable-fs.js';
import type { Logger } from '../ports/logger.js';

export type DecidedStatus = 'SUCCEEDED' | 'FAILED' | 'REJECTED';

/**
 * What the agent knows about one job across crashes. `running`: a handler was started (it may
 * have been interrupted); `decided`: the outcome is final here but the jobs service has not
 * acknowledged it yet, so it is reported again, never re-run.
 */
export interface JournalEntry {
  readonly jobId: string;
  readonly operation: string;
  readonly state: 'running' | 'decided';
  /** Times the handler was started for this job (a crash loop is cut off by the service). */
  readonly runs: number;
  readonly startedAtMs: number;
  readonly checkpoint?: Readonly<Record<string, string>>;
  readonly outcome?: { readonly status: DecidedStatus; readonly details: JobStatusDetails };
}

/** The journal directory cannot be written: the job cannot run safely (it could run twice). */
export class JobJournalError extends Error {
  override readonly name = 'JobJournalError';
}

/**
 * One small JSON file per job in `{stateDir}/jobs/`, each written atomically (temp file, fsync,
 * rename, fsync of the directory), so after a power cut a file is the old or the new version.
 */
export class JobJournal {
  readonly dir: string;

  constructor(
    stateDir: string,
    private readonly logger: Logger,
  ) {
    this.dir = join(stateDir, 'jobs');
  }

  /** Every entry left by earlier runs; unreadable files are set aside as `.corrupt`, and logged. */
  async load(): Promise<JournalEntry[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    const entries: JournalEntry[] = [];
    for (const name of (await readdir(this.dir)).sort()) {
      const path = join(this.dir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        // An unfinished write: the previous version of that entry (if any) is still whole.
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        entries.push(parseEntry(await readFile(path, 'utf8')));
      } catch (error) {
        await rename(path, `${path}.corrupt`);
        this.logger.error(
          { err: error, file: path },
          'job journal entry unreadable; set aside as .corrupt (that job is not resumed)',
        );
      }
    }
    return entries;
  }

  async write(entry: JournalEntry): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o750 });
      await writeFileDurably(this.pathOf(entry.jobId), `${JSON.stringify(entry)}\n`);
    } catch (error) {
      throw new JobJournalError(
        `could not record job ${entry.jobId} in ${this.dir}: ${(error as Error).message}; free space or fix the state directory's permissions`,
        { cause: error },
      );
    }
  }

  /** The jobs service acknowledged the outcome (or the job ended without us): forget it. */
  async remove(jobId: string): Promise<void> {
    await rm(this.pathOf(jobId), { force: true });
    await fsyncDir(this.dir).catch(() => undefined);
  }

  private pathOf(jobId: string): string {
    if (!JOB_ID_PATTERN.test(jobId))
      throw new JobJournalError(`job id "${jobId}" must match ${JOB_ID_PATTERN}`);
    return join(this.dir, `${jobId}.json`);
  }
}

function parseEntry(text: string): JournalEntry {
  const value = JSON.parse(text) as Partial<JournalEntry>;
  if (
    typeof value.jobId !== 'string' ||
    !JOB_ID_PATTERN.test(value.jobId) ||
    typeof value.operation !== 'string' ||
    (value.state !== 'running' && value.state !== 'decided') ||
    typeof value.runs !== 'number' ||
    typeof value.startedAtMs !== 'number' ||
    (value.state === 'decided' && value.outcome === undefined)
  ) {
    throw new Error('not a job journal entry');
  }
  return value as JournalEntry;
}
