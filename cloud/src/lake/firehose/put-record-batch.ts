import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type RetryTiming,
  realTiming,
  retryDelayMs,
  validateRetryPolicy,
} from '../../stream/retry-policy.js';
import { describeError, errorCodeOf, isRetryableCallError } from '../../stream/retryable-error.js';

/**
 * PutRecordBatch limits as the Firehose API reference states them: up to 500 records and 4 MiB
 * per call, each record up to 1,000 KiB before base64 ("These limits cannot be changed"). The
 * 4 MiB is counted on the records' bytes, as the record limit is.
 */
export interface PutRecordBatchLimits {
  maxEntries: number;
  maxBatchBytes: number;
  maxRecordBytes: number;
}

export const FIREHOSE_PUT_RECORD_BATCH_LIMITS: Readonly<PutRecordBatchLimits> = Object.freeze({
  maxEntries: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  maxRecordBytes: 1_000 * 1024,
});

/** One entry of a PutRecordBatch answer (PutRecordBatchResponseEntry): RecordId, or ErrorCode + ErrorMessage. */
export interface PutRecordBatchResponseEntry {
  RecordId?: string | undefined;
  ErrorCode?: string | undefined;
  ErrorMessage?: string | undefined;
}

/** The part of the answer read here; the SDK's PutRecordBatchOutput fits it. */
export interface PutRecordBatchResponse {
  FailedPutCount?: number | undefined;
  Encrypted?: boolean | undefined;
  RequestResponses?: readonly PutRecordBatchResponseEntry[] | undefined;
}

/** One PutRecordBatch call; RequestResponses follow the order of `records`. */
export type SendPutRecordBatch = (records: readonly Uint8Array[]) => Promise<PutRecordBatchResponse>;

export interface PutRecordBatchAllOptions {
  /** Delivery stream name, for error messages. */
  deliveryStream: string;
  retry?: Partial<RetryPolicy>;
  timing?: Partial<RetryTiming>;
  limits?: PutRecordBatchLimits;
}

/** Records the delivery stream has not accepted after the retries, by index into the caller's array. */
export class DeliveryStreamUnavailableError extends Error {
  override readonly name = 'DeliveryStreamUnavailableError';
  readonly notAccepted: readonly number[];
  readonly errorCodes: Readonly<Record<string, number>>;

  constructor(
    message: string,
    options: ErrorOptions & { notAccepted: readonly number[]; errorCodes: Readonly<Record<string, number>> },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.notAccepted = options.notAccepted;
    this.errorCodes = options.errorCodes;
  }
}

/** A record no PutRecordBatch can take (over 1,000 KiB): a bug, refused before anything is sent. */
export class DeliveryRecordTooLargeError extends Error {
  override readonly name = 'DeliveryRecordTooLargeError';
}

interface Indexed {
  index: number;
  data: Uint8Array;
}

/** Batches of ≤ maxEntries records and ≤ maxBatchBytes, in order. */
export function chunkForPutRecordBatch(
  records: readonly Uint8Array[],
  limits: PutRecordBatchLimits = FIREHOSE_PUT_RECORD_BATCH_LIMITS,
): Indexed[][] {
  const tooLarge = records.flatMap((data, index) => (data.byteLength > limits.maxRecordBytes ? [index] : []));
  if (tooLarge.length > 0) {
    throw new DeliveryRecordTooLargeError(
      `record(s) ${tooLarge.join(', ')} are over the ${limits.maxRecordBytes}-byte PutRecordBatch record limit; none was sent`,
    );
  }
  const chunks: Indexed[][] = [];
  let current: Indexed[] = [];
  let bytes = 0;
  records.forEach((data, index) => {
    if (
      current.length === limits.maxEntries ||
      (current.length > 0 && bytes + data.byteLength > limits.maxBatchBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ index, data });
    bytes += data.byteLength;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Puts every record with PutRecordBatch, batch by batch, and resolves once all are accepted.
 * "FailedPutCount might be greater than 0 even if the PutRecordBatch call succeeds": after such a
 * partial failure only the entries whose RequestResponses carry an ErrorCode are sent again
 * (resending the others would deliver them twice); a retryable whole-call failure
 * (ServiceUnavailableException, throttling, 5xx, network) resends the batch. Both wait a jittered
 * exponential backoff (the stream module's policy). Throws DeliveryStreamUnavailableError naming
 * the records not accepted when retries run out or the failure cannot be retried.
 */
export async function putRecordBatchAll(
  records: readonly Uint8Array[],
  send: SendPutRecordBatch,
  options: PutRecordBatchAllOptions,
): Promise<void> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  validateRetryPolicy(policy);
  const timing: RetryTiming = { ...realTiming, ...options.timing };
  const chunks = chunkForPutRecordBatch(records, options.limits ?? FIREHOSE_PUT_RECORD_BATCH_LIMITS);

  for (const [chunkIndex, chunk] of chunks.entries()) {
    let pending = chunk;
    let failure: { codes: Record<string, number>; detail: string; cause?: unknown } | undefined;
    for (let attempt = 1; attempt <= policy.maxAttempts && pending.length > 0; attempt += 1) {
      if (attempt > 1) await timing.sleep(retryDelayMs(attempt - 1, policy, timing.random));
      let response: PutRecordBatchResponse;
      try {
        response = await send(pending.map((entry) => entry.data));
      } catch (error) {
        failure = {
          codes: { [errorCodeOf(error)]: pending.length },
          detail: describeError(error),
          cause: error,
        };
        if (!isRetryableCallError(error)) break;
        continue;
      }
      const results = response.RequestResponses;
      const problem = malformed(response, pending.length);
      if (problem !== undefined || results === undefined) {
        // Which entries were taken is unknown: send them all again (a duplicate is harmless).
        failure = { codes: { MalformedPutRecordBatchResponse: pending.length }, detail: problem ?? '' };
        continue;
      }
      const refused: Indexed[] = [];
      const codes: Record<string, number> = {};
      const examples: string[] = [];
      results.forEach((result, i) => {
        const entry = pending[i];
        if (entry === undefined || result.ErrorCode === undefined) return;
        refused.push(entry);
        if (codes[result.ErrorCode] === undefined)
          examples.push(`${result.ErrorCode}: ${result.ErrorMessage ?? ''}`);
        codes[result.ErrorCode] = (codes[result.ErrorCode] ?? 0) + 1;
      });
      pending = refused;
      failure = refused.length > 0 ? { codes, detail: examples.join('; ') } : undefined;
    }
    if (pending.length === 0) continue;
    const unsent = chunks.slice(chunkIndex + 1).flat();
    const notAccepted = [...pending, ...unsent].map((entry) => entry.index);
    const codes = failure?.codes ?? {};
    throw new DeliveryStreamUnavailableError(
      `delivery stream ${options.deliveryStream}: ${pending.length} of ${records.length} record(s) not accepted ` +
        `(${Object.entries(codes)
          .map(([code, count]) => `${code} ×${count}`)
          .join(', ')}): ${failure?.detail ?? ''}` +
        (unsent.length > 0 ? `; ${unsent.length} later record(s) were not sent` : ''),
      { notAccepted, errorCodes: codes, cause: failure?.cause },
    );
  }
}

/** Why an answer cannot be matched entry by entry to the request, or undefined when it can. */
function malformed(response: PutRecordBatchResponse, sent: number): string | undefined {
  const results = response.RequestResponses;
  if (results === undefined) return `the response had no RequestResponses for ${sent} records`;
  if (results.length !== sent)
    return `the response had ${results.length} RequestResponses for ${sent} records`;
  const blank = results.findIndex((r) => r.ErrorCode === undefined && r.RecordId === undefined);
  if (blank !== -1) return `response ${blank} has neither RecordId nor ErrorCode`;
  const failed = results.filter((r) => r.ErrorCode !== undefined).length;
  if (response.FailedPutCount !== undefined && response.FailedPutCount !== failed) {
    return `FailedPutCount is ${response.FailedPutCount} but ${failed} RequestResponses have an ErrorCode`;
  }
  return undefined;
}
