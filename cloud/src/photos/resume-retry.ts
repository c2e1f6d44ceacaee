import type { CoffeeRepository } from '../db/coffee-repository.js';
import {
  type ResumeWaitPolicy,
  timerSleep,
  retryWhileResuming as whileResuming,
} from '../db/while-resuming.js';
import type { PhotoPipelineDeps } from './process-photos.js';

// A photo must not be lost to a paused database: the photo Lambda waits a resume out within its
// own time rather than fail the event straight away; past the budget it fails as before, so
// Lambda's retries and then the on-failure queue keep the event.

/** Kept back from the invocation's remaining time: Rekognition, the stream and markStreamed. */
export const DEFAULT_RESERVE_MS = 15_000;

/** The repository, with each call retried while the database resumes, within the policy's budget. */
export function waitingOutResume(coffees: CoffeeRepository, policy: ResumeWaitPolicy): CoffeeRepository {
  return {
    findByPhotoKey: (photoKey) =>
      whileResuming('findByPhotoKey', policy, () => coffees.findByPhotoKey(photoKey)),
    recordCoffee: (coffee) => whileResuming('recordCoffee', policy, () => coffees.recordCoffee(coffee)),
    recordStreamedCoffee: (coffee, publish, at) =>
      whileResuming('recordStreamedCoffee', policy, () => coffees.recordStreamedCoffee(coffee, publish, at)),
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
    coffees: waitingOutResume(deps.coffees, {
      deadline: now() + budget.remainingMs - (budget.reserveMs ?? DEFAULT_RESERVE_MS),
      now,
      sleep: budget.sleep ?? timerSleep,
      logger: deps.logger,
    }),
  };
}
