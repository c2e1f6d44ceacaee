import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogs } from '../testing/capture-logs.js';
import { JobJournal, JobJournalError } from './job-journal.js';

describe('JobJournal', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'coffee-iot-journal-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('keeps each job in its own file across instances, and forgets it on remove', async () => {
    const { logger } = captureLogs();
    const journal = new JobJournal(stateDir, logger);
    await journal.write({ jobId: 'a', operation: 'restart', state: 'running', runs: 1, startedAtMs: 5 });
    await journal.write({
      jobId: 'a',
      operation: 'restart',
      state: 'running',
      runs: 1,
      startedAtMs: 5,
      checkpoint: { phase: 'restarting', bootId: 'b1' },
    });
    expect(await new JobJournal(stateDir, logger).load()).toEqual([
      {
        jobId: 'a',
        operation: 'restart',
        state: 'running',
        runs: 1,
        startedAtMs: 5,
        checkpoint: { phase: 'restarting', bootId: 'b1' },
      },
    ]);
    await journal.remove('a');
    expect(await journal.load()).toEqual([]);
  });

  it('drops an unfinished write and sets an unreadable entry aside, saying so', async () => {
    const { logger, lines } = captureLogs();
    const dir = join(stateDir, 'jobs');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'b.json.tmp'), '{"jobId":"b"'); // power cut mid-write
    await writeFile(join(dir, 'c.json'), 'not json');
    expect(await new JobJournal(stateDir, logger).load()).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['c.json.corrupt']);
    expect(lines.some((l) => l.level === 50 && String(l.msg).includes('set aside'))).toBe(true);
  });

  it('names the directory and the fix when it cannot write', async () => {
    await writeFile(join(stateDir, 'jobs'), 'a file where the directory should be');
    const journal = new JobJournal(stateDir, captureLogs().logger);
    await expect(
      journal.write({ jobId: 'd', operation: 'restart', state: 'running', runs: 1, startedAtMs: 0 }),
    ).rejects.toThrow(JobJournalError);
  });
});
