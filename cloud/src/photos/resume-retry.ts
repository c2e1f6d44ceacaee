import { type CoffeeRepository, DatabaseResumingError } from '../db/coffee-repository.js';
import type { Logger } from '../logging/logger.js';
import type { PhotoPipelineDeps } from './process-photos.js';

/**
 * Aurora Serverless paused at 0 ACU wakes on the first call and answers DatabaseResumingException
 * for the seconds it takes (about 15 s, AWS says). The photo Lambda waits it out within its own
 * time rather than fail the event straight away; past the budget it fails as before, so Lambda's
 * retries and then the on-failure queue keep the event. Nothing is lost either way.
 */
export interface ResumeRetryPolicy {
  /** Epoch ms after which no attempt starts (the invocation's end minus what the rest needs). */
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
/** Kept back from the invocation's remaining time: Rekognition, the stream and markStreamed. */
export const DEFAULT_RESERVE_MS = 15_000;

/** A sleep on the global timer (read at call time, so tests' fake timers drive it). */
export function timerSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function whileResuming<T>(
  operation: string,
  policy: ResumeRetryPolicy,
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
      if (!(error instanceof DatabaseResumingError)) throw error;
      const wait = Math.min(delay, maxDelay);
      if (policy.now() + wait > policy.deadline) {
        policy.logger.warn(
          { operation, attempts: attempt },
          'database still resuming at the end of the retry budget; the event will be retried',
        );
        throw error;
      }
      policy.logger.info({ operation, attempt, waitMs: wait }, 'database resuming from auto-pause; waiting');
      await policy.sleep(wait);
      delay *= 2;
    }
  }
}

/** The repository, with each call retried while the database resumes, within the policy's budget. */
export function retryWhileResuming(coffees: CoffeeRepository, policy: ResumeRetryPolicy): CoffeeRepository {
  return {
    findByPhotoKey: (photoKey) =>
      whileResuming('findByPhotoKey', policy, () => coffees.findByPhotoKey(photoKey)),
    recordCoffee: (coffee) => whileResuming('recordCoffee', policy, () => coffees.recordCoffee(coffee)),
    markStreamed: (photoKeys, at) =>
      whileResuming('markStreamed', policy, () => coffees.markStreamed(photoKeys, at)),
  };
}

export interface InvocationBudget {
  /** The Lambda context's getRemainingTimeInMillis() at the start of the invocation. */
  remainingMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  reserveMs?: number;
}

/** The container's pipeline for one invocation: its database calls wait out a resume within the
 * invocation's remaining time, less a reserve for the work after them. */
export function forInvocation(deps: PhotoPipelineDeps, budget: InvocationBudget): PhotoPipelineDeps {
  const now = budget.now ?? Date.now;
  return {
    ...deps,
    coffees: retryWhileResuming(deps.coffees, {
      deadline: now() + budget.remainingMs - (budget.reserveMs ?? DEFAULT_RESERVE_MS),
      now,
      sleep: budget.sleep ?? timerSleep,
      logger: deps.logger,
    }),
  };
}
