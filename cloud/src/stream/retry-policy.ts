/** How put-records retries refused entries and failed calls. */
export interface RetryPolicy {
  /** Attempts per batch, the first one included. */
  maxAttempts: number;
  /** Ceiling of the first retry delay, ms; it doubles per attempt. */
  baseDelayMs: number;
  /** Largest retry delay, ms. */
  maxDelayMs: number;
}

/**
 * Six attempts waiting at most 0.1 + 0.2 + 0.4 + 0.8 + 1.6 s: a shard's write limit is per second,
 * so the last waits span a full second of throughput, and a batch gives up after about 3 s, well
 * inside a Lambda timeout, leaving the event to Lambda's own retries.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
});

/** Time, injected so tests wait for nothing. */
export interface RetryTiming {
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), like Math.random. */
  random: () => number;
}

export const realTiming: RetryTiming = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Delay before retry number `retry` (1 for the first retry): exponential with "equal jitter"
 * (AWS Architecture Blog, "Exponential Backoff And Jitter"), as the agent's reconnect backoff.
 * The ceiling doubles up to maxDelayMs and the delay is drawn from [ceiling/2, ceiling]: half is
 * always waited, so a throttled shard is never hammered, and the random half spreads concurrent
 * Lambdas that were throttled together.
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Checks a policy once, at construction, naming every bad field. */
export function validateRetryPolicy(policy: RetryPolicy): void {
  const problems: string[] = [];
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    problems.push(`maxAttempts must be an integer ≥ 1, got ${policy.maxAttempts}`);
  }
  if (!Number.isFinite(policy.baseDelayMs) || policy.baseDelayMs < 0) {
    problems.push(`baseDelayMs must be a number ≥ 0, got ${policy.baseDelayMs}`);
  }
  if (!Number.isFinite(policy.maxDelayMs) || policy.maxDelayMs < policy.baseDelayMs) {
    problems.push(`maxDelayMs must be a number ≥ baseDelayMs, got ${policy.maxDelayMs}`);
  }
  if (problems.length > 0) throw new RangeError(`invalid stream retry policy: ${problems.join('; ')}`);
}
