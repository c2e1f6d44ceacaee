import {
  type BatchAnswer,
  batchBySize,
  formatCodes,
  type Indexed,
  sendBatchWithRetry,
} from '../../stream/batch-put.js';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type RetryTiming,
  realTiming,
  validateRetryPolicy,
} from '../../stream/retry-policy.js';

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

/** One record over the record limit: its index in the caller's array and its size. */
export interface OversizeRecord {
  index: number;
  bytes: number;
}

/** A record no PutRecordBatch can take (over 1,000 KiB): a bug, refused before anything is sent. */
export class DeliveryRecordTooLargeError extends Error {
  override readonly name = 'DeliveryRecordTooLargeError';
  /** Every record over the limit, so a caller can name each one. */
  readonly tooLarge: readonly OversizeRecord[];
  /** The record limit they are over, in bytes. */
  readonly maxRecordBytes: number;

  constructor(
    message: string,
    options: ErrorOptions & { tooLarge?: readonly OversizeRecord[]; maxRecordBytes?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.tooLarge = options.tooLarge ?? [];
    this.maxRecordBytes = options.maxRecordBytes ?? FIREHOSE_PUT_RECORD_BATCH_LIMITS.maxRecordBytes;
  }
}

/** Batches of ≤ maxEntries records and ≤ maxBatchBytes, in order. */
export function chunkForPutRecordBatch(
  records: readonly Uint8Array[],
  limits: PutRecordBatchLimits = FIREHOSE_PUT_RECORD_BATCH_LIMITS,
): Indexed<Uint8Array>[][] {
  const tooLarge = records.flatMap((data, index) =>
    data.byteLength > limits.maxRecordBytes ? [{ index, bytes: data.byteLength }] : [],
  );
  if (tooLarge.length > 0) {
    throw new DeliveryRecordTooLargeError(
      `record(s) ${tooLarge.map((r) => r.index).join(', ')} are over the ${limits.maxRecordBytes}-byte PutRecordBatch record limit; none was sent`,
      { tooLarge, maxRecordBytes: limits.maxRecordBytes },
    );
  }
  return batchBySize(records, (data) => data.byteLength, limits);
}

const PUT_RECORD_BATCH_NAMES = {
  results: 'RequestResponses',
  stored: 'RecordId',
  failedCount: 'FailedPutCount',
  malformedCode: 'MalformedPutRecordBatchResponse',
} as const;

/** PutRecordBatch's answer in the neutral form the shared retry loop reads. */
function asBatchAnswer(response: PutRecordBatchResponse): BatchAnswer {
  return {
    failedCount: response.FailedPutCount,
    outcomes: response.RequestResponses?.map((entry) => ({
      stored: entry.RecordId !== undefined,
      errorCode: entry.ErrorCode,
      errorMessage: entry.ErrorMessage,
    })),
  };
}

/**
 * Puts every record with PutRecordBatch, batch by batch, and resolves once all are accepted.
 * "FailedPutCount might be greater than 0 even if the PutRecordBatch call succeeds": the shared
 * retry loop (stream/batch-put.ts) resends only the refused entries, or the whole batch after a
 * retryable call failure, with backoff. Throws DeliveryStreamUnavailableError naming the records
 * not accepted when retries run out or the failure cannot be retried.
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
    const refusal = await sendBatchWithRetry(
      chunk,
      async (items) => asBatchAnswer(await send(items)),
      PUT_RECORD_BATCH_NAMES,
      policy,
      timing,
    );
    if (refusal === undefined) continue;
    const unsent = chunks.slice(chunkIndex + 1).flat();
    const notAccepted = [...refusal.pending, ...unsent].map((entry) => entry.index);
    throw new DeliveryStreamUnavailableError(
      `delivery stream ${options.deliveryStream}: ${refusal.pending.length} of ${records.length} record(s) not accepted ` +
        `(${formatCodes(refusal.codes)}): ${refusal.detail}` +
        (unsent.length > 0 ? `; ${unsent.length} later record(s) were not sent` : ''),
      { notAccepted, errorCodes: refusal.codes, cause: refusal.cause },
    );
  }
}
