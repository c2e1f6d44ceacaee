import { type BatchAnswer, formatCodes, sendBatchWithRetry } from './batch-put.js';
import { chunkRecords } from './chunk-records.js';
import { type IngestRecord, StreamUnavailableError } from './ingest-stream.js';
import { KINESIS_PUT_RECORDS_LIMITS, type PutRecordsLimits } from './put-records-limits.js';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type RetryTiming,
  realTiming,
  validateRetryPolicy,
} from './retry-policy.js';

const PUT_RECORDS_NAMES = {
  results: 'Records',
  stored: 'SequenceNumber',
  failedCount: 'FailedRecordCount',
  malformedCode: 'MalformedPutRecordsResponse',
} as const;

/** One entry of a PutRecords answer, in the shape AWS documents (PutRecordsResultEntry). */
export interface PutRecordsResultEntry {
  SequenceNumber?: string | undefined;
  ShardId?: string | undefined;
  ErrorCode?: string | undefined;
  ErrorMessage?: string | undefined;
}

/** The part of a PutRecords answer this module reads; the SDK's PutRecordsOutput fits it. */
export interface PutRecordsResponse {
  FailedRecordCount?: number | undefined;
  Records?: readonly PutRecordsResultEntry[] | undefined;
}

/** One PutRecords call: `entries` is at most one batch, the answer's Records follow its order. */
export type SendPutRecords = (entries: readonly IngestRecord[]) => Promise<PutRecordsResponse>;

export interface PutAllRecordsOptions {
  /** Stream name or ARN, for error messages. */
  stream: string;
  retry?: Partial<RetryPolicy>;
  timing?: Partial<RetryTiming>;
  limits?: PutRecordsLimits;
}

/**
 * Puts every record, batch by batch in order, and resolves once all are accepted. After a partial
 * failure only the entries whose result carries an ErrorCode are sent again (resending accepted
 * ones would duplicate them on the stream); retryable whole-call failures resend the whole
 * remainder. Both wait a jittered exponential backoff first. Throws StreamRecordRejectedError
 * before sending anything when a record can never be put, and StreamUnavailableError on a
 * non-retryable failure or when a batch is still refused after maxAttempts; the error names the
 * records not accepted and why.
 */
export async function putAllRecords(
  records: readonly IngestRecord[],
  send: SendPutRecords,
  options: PutAllRecordsOptions,
): Promise<void> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  validateRetryPolicy(policy);
  const timing: RetryTiming = { ...realTiming, ...options.timing };
  const chunks = chunkRecords(records, options.limits ?? KINESIS_PUT_RECORDS_LIMITS);

  for (const [chunkIndex, chunk] of chunks.entries()) {
    const batch = chunk.map(({ index, record }) => ({ index, item: record }));
    const refusal = await sendBatchWithRetry(
      batch,
      async (entries) => asBatchAnswer(await send(entries)),
      PUT_RECORDS_NAMES,
      policy,
      timing,
    );
    if (refusal === undefined) continue;
    const unsent = chunks.slice(chunkIndex + 1).flat();
    const notAccepted = [...refusal.pending, ...unsent].map((entry) => entry.index).sort((a, b) => a - b);
    const outcome = refusal.final
      ? `PutRecords failed and retrying cannot help (attempt ${refusal.attempts})`
      : `still refused after ${refusal.attempts} attempt(s)`;
    const unsentNote = unsent.length > 0 ? `; ${unsent.length} later record(s) were not sent` : '';
    throw new StreamUnavailableError(
      `stream ${options.stream}: ${refusal.pending.length} of ${records.length} record(s) not accepted, ` +
        `${outcome} (${formatCodes(refusal.codes)}): ${refusal.detail}${unsentNote}`,
      { stream: options.stream, notAccepted, errorCodes: refusal.codes, cause: refusal.cause },
    );
  }
}

/** PutRecords' answer in the neutral form the shared retry loop reads. */
function asBatchAnswer(response: PutRecordsResponse): BatchAnswer {
  return {
    failedCount: response.FailedRecordCount,
    outcomes: response.Records?.map((entry) => ({
      stored: entry.SequenceNumber !== undefined,
      errorCode: entry.ErrorCode,
      errorMessage: entry.ErrorMessage,
    })),
  };
}
