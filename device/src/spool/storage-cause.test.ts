import { describe, expect, it } from 'vitest';
import { captureLogs } from '../testing/capture-logs.js';
import { ReadingsNotStoredError } from './spool-errors.js';
import { formatCauseCounts, storageCause } from './storage-cause.js';
import { WriteFailures } from './write-failures.js';

const coded = (code: string) => Object.assign(new Error(code), { code });

describe('storageCause', () => {
  it.each([
    ['ENOSPC', 'ENOSPC'],
    ['EDQUOT', 'ENOSPC'],
    ['SQLITE_FULL', 'ENOSPC'],
    ['EIO', 'EIO'],
    ['SQLITE_IOERR', 'EIO'],
    ['SQLITE_IOERR_FSYNC', 'EIO'],
    ['EROFS', 'EROFS'],
    ['SQLITE_READONLY', 'EROFS'],
    ['SQLITE_READONLY_DBMOVED', 'EROFS'],
    ['EACCES', 'other'],
    ['SQLITE_BUSY', 'other'],
  ])('maps %s to %s', (code, cause) => {
    expect(storageCause(coded(code))).toBe(cause);
  });

  it('finds the code behind our own wrapping errors', () => {
    const wrapped = new ReadingsNotStoredError(
      'x',
      { storageCause: 'ENOSPC', fromSeq: 1, toSeq: 1 },
      { cause: new Error('spool could not store readings', { cause: coded('SQLITE_FULL') }) },
    );
    expect(storageCause(wrapped)).toBe('ENOSPC');
    expect(storageCause('not an error')).toBe('other');
  });
});

describe('WriteFailures', () => {
  it('logs an episode in two lines however long it lasts, plus one when the cause changes', () => {
    const { logger, lines } = captureLogs('info');
    let now = 1000;
    const failures = new WriteFailures({
      what: 'readings',
      path: '/state/spool.sqlite',
      logger,
      clock: { now: () => now },
    });
    for (let seq = 10; seq < 70; seq += 1)
      failures.failed(coded('SQLITE_FULL'), { count: 1, seqs: { from: seq, to: seq } });
    failures.failed(coded('SQLITE_IOERR_WRITE'), { count: 1, seqs: { from: 70, to: 70 } });
    expect(failures.current()).toEqual({ cause: 'EIO', path: '/state/spool.sqlite', sinceMs: 1000 });
    now = 62_000;
    failures.succeeded();
    failures.succeeded();
    expect(lines.map((line) => line.msg)).toEqual([
      'readings cannot be stored (ENOSPC); counting them until a write succeeds again',
      'readings still cannot be stored, now with EIO',
      '61 readings (seq 10…70) could not be stored: ENOSPC 60, EIO 1; storing again',
    ]);
    expect(lines[2]).toMatchObject({ durationMs: 61_000, lostSeqs: [{ from: 10, to: 70 }] });
    expect(failures.counts()).toEqual({ ENOSPC: 60, EIO: 1, EROFS: 0, other: 0 });
    expect(failures.current()).toBeNull();
    expect(formatCauseCounts(failures.counts())).toBe('ENOSPC 60, EIO 1');
  });
});
