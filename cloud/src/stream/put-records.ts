import { chunkRecords, type IndexedRecord } from './chunk-records.js';
import { type IngestRecord, StreamUnavailableError } from './ingest-stream.js';
import { KINESIS_PUT_RECORDS_LIMITS, type PutRecordsLimits } from './put-records-limits.js';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type RetryTiming,
  realTiming,
  retryDelayMs,
  validateRetryPolicy,
} from './retry-policy.js';
import { describeError, errorCodeOf, isRetryableCallError } from './retryable-error.js';

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

/** What the last attempt of a batch left unaccepted. */
interface Refusal {
  pending: IndexedRecord[];
  /** The attempt that ended the batch. */
  attempts: number;
  /** A non-retryable failure: the batch stopped before maxAttempts. */
  final: boolean;
  /** Refused entries by ErrorCode, or the whole-call failure under its name. */
  codes: Record<string, number>;
  /** Human summary of the failure, with an example message. */
  detail: string;
  cause?: unknown;
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
    const refusal = await putBatch(chunk, send, policy, timing);
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

/** One batch with its retries; resolves undefined once every entry is accepted. */
async function putBatch(
  batch: IndexedRecord[],
  send: SendPutRecords,
  policy: RetryPolicy,
  timing: RetryTiming,
): Promise<Refusal | undefined> {
  let pending = batch;
  let refusal: Refusal | undefined;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
    if (attempt > 1) await timing.sleep(retryDelayMs(attempt - 1, policy, timing.random));
    let response: PutRecordsResponse;
    try {
      response = await send(pending.map((entry) => entry.record));
    } catch (error) {
      const final = !isRetryableCallError(error);
      refusal = wholeCallRefusal(pending, attempt, errorCodeOf(error), describeError(error), error);
      if (final) return { ...refusal, final };
      continue;
    }
    const malformed = malformedResponse(response, pending.length);
    if (malformed !== undefined) {
      // We cannot tell which entries were taken, so all are sent again: a duplicate on the stream
      // is harmless (consumers dedupe on seq and photo key), a lost record is not.
      refusal = wholeCallRefusal(pending, attempt, 'MalformedPutRecordsResponse', malformed);
      continue;
    }
    refusal = entryRefusal(pending, attempt, response.Records ?? []);
    if (refusal === undefined) return undefined;
    pending = refusal.pending;
  }
  return refusal;
}

function wholeCallRefusal(
  pending: IndexedRecord[],
  attempts: number,
  code: string,
  detail: string,
  cause?: unknown,
): Refusal {
  return { pending, attempts, final: false, codes: { [code]: pending.length }, detail, cause };
}

/** The entries whose result has an ErrorCode, or undefined when every entry was accepted. */
function entryRefusal(
  pending: IndexedRecord[],
  attempts: number,
  results: readonly PutRecordsResultEntry[],
): Refusal | undefined {
  const refused: IndexedRecord[] = [];
  const codes: Record<string, number> = {};
  const examples = new Map<string, string>();
  results.forEach((result, i) => {
    const entry = pending[i];
    if (entry === undefined || result.ErrorCode === undefined) return;
    refused.push(entry);
    codes[result.ErrorCode] = (codes[result.ErrorCode] ?? 0) + 1;
    if (!examples.has(result.ErrorCode))
      examples.set(result.ErrorCode, result.ErrorMessage ?? '(no message)');
  });
  if (refused.length === 0) return undefined;
  const detail = [...examples].map(([code, message]) => `${code}: ${message}`).join('; ');
  return { pending: refused, attempts, final: false, codes, detail };
}

/**
 * Why an answer cannot be matched entry by entry to the request, or undefined when it can. AWS
 * documents Records in request order, one per entry, each with SequenceNumber or ErrorCode; an
 * entry with neither, or a FailedRecordCount that disagrees with the ErrorCodes, leaves us unable
 * to say which records were stored.
 */
function malformedResponse(response: PutRecordsResponse, sent: number): string | undefined {
  const results = response.Records;
  if (results === undefined) return `the response had no Records for ${sent} entries`;
  if (results.length !== sent) return `the response had ${results.length} Records for ${sent} entries`;
  const blank = results.findIndex((r) => r.ErrorCode === undefined && r.SequenceNumber === undefined);
  if (blank !== -1) return `result ${blank} of the response has neither SequenceNumber nor ErrorCode`;
  const failed = results.filter((r) => r.ErrorCode !== undefined).length;
  if (response.FailedRecordCount !== undefined && response.FailedRecordCount !== failed) {
    return `FailedRecordCount is ${response.FailedRecordCount} but ${failed} Records have an ErrorCode`;
  }
  return undefined;
}

function formatCodes(codes: Readonly<Record<string, number>>): string {
  return Object.entries(codes)
    .map(([code, count]) => `${code} ×${count}`)
    .join(', ');
}
