import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { DatabaseResumingError } from './coffee-repository.js';
import { openDataApiDatabase } from './data-api-dialect.js';
import { wakeDatabase } from './while-resuming.js';

const START = Date.parse('2026-12-07T03:00:00.000Z');

/** A Data API that refuses as a paused cluster does until `awakeAt`, then answers `select 1`. */
function pausedDataApi(awakeAt: number) {
  const calls: number[] = [];
  const client = {
    send: async () => {
      calls.push(Date.now() - START);
      if (Date.now() < awakeAt) {
        throw Object.assign(new Error('The Aurora DB instance is resuming after being auto-paused.'), {
          name: 'DatabaseResumingException',
          $fault: 'client',
        });
      }
      return {
        records: [[{ longValue: 1 }]],
        columnMetadata: [{ name: '1', label: '1', typeName: 'BIGINT' }],
        numberOfRecordsUpdated: 0,
      };
    },
  } as unknown as RDSDataClient;
  const database = openDataApiDatabase({
    client,
    resourceArn: 'arn:cluster',
    secretArn: 'arn:secret',
    database: 'db',
  });
  return { database, calls };
}

describe('wakeDatabase', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const policy = (budgetMs: number) => ({
    deadline: START + budgetMs,
    now: Date.now,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    logger: silentLogger(),
  });

  it('waits with growing pauses until the cluster answers', async () => {
    const { database, calls } = pausedDataApi(START + 12_000);
    const woken = wakeDatabase(database, policy(60_000));
    await vi.advanceTimersByTimeAsync(60_000);
    await woken;
    // Pauses of 0.5, 1, 2, then 4 s: asleep at 0, 0.5, 1.5, 3.5, 7.5 and 11.5 s, awake at 15.5 s.
    expect(calls).toEqual([0, 500, 1_500, 3_500, 7_500, 11_500, 15_500]);
  });

  it('gives up at the deadline with DatabaseResumingError', async () => {
    const { database, calls } = pausedDataApi(Number.POSITIVE_INFINITY);
    const woken = wakeDatabase(database, policy(10_000)).catch((caught: unknown) => caught);
    await vi.advanceTimersByTimeAsync(60_000);
    const error = await woken;
    expect(error).toBeInstanceOf(DatabaseResumingError);
    expect(((error as Error).cause as Error).name).toBe('DatabaseResumingException');
    expect(calls).toEqual([0, 500, 1_500, 3_500, 7_500]);
  });
});
