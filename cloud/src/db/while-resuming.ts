import { sql } from 'kysely';
import type { Logger } from '../logging/logger.js';
import type { CoffeeDatabase } from './coffee-database.js';
import { isResuming, unavailableAsError } from './database-errors.js';

/**
 * Aurora Serverless paused at 0 ACU wakes on the first call and refuses with
 * DatabaseResumingException for the seconds it takes (about 15 s, AWS says). These helpers wait it
 * out with growing pauses until a deadline, then let the last refusal through.
 */
export interface ResumeWaitPolicy {
  /** Epoch ms after which no attempt starts. */
  deadline: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  /** First wait; doubled after each refusal up to maxDelayMs. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export const DEFAULT_FIRST_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 4_000;

/** A sleep on the global timer (read at call time, so tests' fake timers drive it). */
export function timerSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `run`, again after a pause each time the database answers that it is resuming. */
export async function retryWhileResuming<T>(
  operation: string,
  policy: ResumeWaitPolicy,
  run: () => Promise<T>,
): Promise<T> {
  let delay = policy.firstDelayMs ?? DEFAULT_FIRST_DELAY_MS;
  const maxDelay = policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await run();
      if (attempt > 1) policy.logger.info({ operation, attempts: attempt }, 'database awake again');
      return result;
    } catch (error) {
      if (!isResuming(error)) throw error;
      const wait = Math.min(delay, maxDelay);
      if (policy.now() + wait > policy.deadline) {
        policy.logger.warn(
          { operation, attempts: attempt },
          'database still resuming at the end of the wait budget',
        );
        throw error;
      }
      policy.logger.info({ operation, attempt, waitMs: wait }, 'database resuming from auto-pause; waiting');
      await policy.sleep(wait);
      delay *= 2;
    }
  }
}

/** Wakes the database before work that cannot retry piecemeal (the schema migrations): one
 * `select 1`, retried while it resumes; a database still asleep at the deadline throws
 * DatabaseResumingError. */
export async function wakeDatabase(database: CoffeeDatabase, policy: ResumeWaitPolicy): Promise<void> {
  await unavailableAsError('wake the database', () =>
    retryWhileResuming('wake the database', policy, async () => {
      await sql`select 1`.execute(database.db);
    }),
  );
}
