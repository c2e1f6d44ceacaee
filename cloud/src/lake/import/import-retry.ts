import type { RetryPolicy } from '../../stream/retry-policy.js';

/**
 * How long an import waits on a throttled stream before giving up on a batch. The stream's default
 * (about 3 s a batch) suits the photo Lambda, one coffee at a time; a backfill sends megabytes a
 * second at a shard that takes 1 MB/s, so throttling is its normal state, not an outage: waits
 * up to 5 s, about 30 s a batch, let it run at the shard's pace instead of failing and restarting.
 */
export const IMPORT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 10,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
});
