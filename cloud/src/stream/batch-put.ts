import { type RetryPolicy, type RetryTiming, retryDelayMs } from './retry-policy.js';
import { describeError, errorCodeOf, isRetryableCallError } from './retryable-error.js';

/**
 * The one retry loop behind Kinesis PutRecords and Firehose PutRecordBatch. Both APIs answer a
 * batch entry by entry, in request order, each entry stored (SequenceNumber / RecordId) or
 * refused (ErrorCode + ErrorMessage), and both may fail part of a call that "succeeds": only the
 * refused entries are sent again, since resending stored ones would deliver them twice.
 */

/** An item and its position in the caller's array, so errors can name what was not accepted. */
export interface Indexed<T> {
  index: number;
  item: T;
}

export interface BatchLimits {
  maxEntries: number;
  maxBatchBytes: number;
}

/** Splits items into batches of ≤ maxEntries and ≤ maxBatchBytes (as `sizeOf` counts), in order. */
export function batchBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: BatchLimits,
): Indexed<T>[][] {
  const batches: Indexed<T>[][] = [];
  let current: Indexed<T>[] = [];
  let bytes = 0;
  items.forEach((item, index) => {
    const size = sizeOf(item);
    if (current.length === limits.maxEntries || (current.length > 0 && bytes + size > limits.maxBatchBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ index, item });
    bytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/** One entry of an answer, whichever API gave it. */
export interface EntryOutcome {
  /** The API says it stored the entry (it gave a SequenceNumber or RecordId). */
  stored: boolean;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
}

/** A batch answer in API-neutral form; `failedCount` is FailedRecordCount / FailedPutCount. */
export interface BatchAnswer {
  failedCount?: number | undefined;
  outcomes?: readonly EntryOutcome[] | undefined;
}

/** How the API names its answer's fields, for messages about an answer that cannot be matched. */
export interface AnswerNames {
  /** Records / RequestResponses */
  results: string;
  /** SequenceNumber / RecordId */
  stored: string;
  /** FailedRecordCount / FailedPutCount */
  failedCount: string;
  /** The error code counted when an answer cannot be matched entry by entry. */
  malformedCode: string;
}

/** What the last attempt of a batch left unaccepted. */
export interface BatchRefusal<T> {
  pending: Indexed<T>[];
  /** The attempt that ended the batch. */
  attempts: number;
  /** A non-retryable failure: the batch stopped before maxAttempts. */
  final: boolean;
  /** Refused entries by ErrorCode, or the whole-call failure under its name. */
  codes: Record<string, number>;
  /** Human summary of the failure, with an example message per code. */
  detail: string;
  cause?: unknown;
}

/**
 * Sends one batch and its retries: refused entries alone after a partial failure, the whole
 * remainder after a retryable call failure or an answer that cannot be matched to the request
 * (a duplicate downstream is harmless — consumers dedupe — a lost record is not); a jittered
 * exponential backoff before each retry. Resolves undefined once every entry is stored.
 */
export async function sendBatchWithRetry<T>(
  batch: Indexed<T>[],
  send: (items: T[]) => Promise<BatchAnswer>,
  names: AnswerNames,
  policy: RetryPolicy,
  timing: RetryTiming,
): Promise<BatchRefusal<T> | undefined> {
  let pending = batch;
  let refusal: BatchRefusal<T> | undefined;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
    if (attempt > 1) await timing.sleep(retryDelayMs(attempt - 1, policy, timing.random));
    let answer: BatchAnswer;
    try {
      answer = await send(pending.map((entry) => entry.item));
    } catch (error) {
      const final = !isRetryableCallError(error);
      refusal = wholeBatch(pending, attempt, errorCodeOf(error), describeError(error), error);
      if (final) return { ...refusal, final };
      continue;
    }
    const malformed = unmatchableAnswer(answer, pending.length, names);
    if (malformed !== undefined) {
      refusal = wholeBatch(pending, attempt, names.malformedCode, malformed);
      continue;
    }
    refusal = refusedEntries(pending, attempt, answer.outcomes ?? []);
    if (refusal === undefined) return undefined;
    pending = refusal.pending;
  }
  return refusal;
}

function wholeBatch<T>(
  pending: Indexed<T>[],
  attempts: number,
  code: string,
  detail: string,
  cause?: unknown,
): BatchRefusal<T> {
  return { pending, attempts, final: false, codes: { [code]: pending.length }, detail, cause };
}

/** The entries whose outcome has an ErrorCode, or undefined when every entry was stored. */
function refusedEntries<T>(
  pending: Indexed<T>[],
  attempts: number,
  outcomes: readonly EntryOutcome[],
): BatchRefusal<T> | undefined {
  const refused: Indexed<T>[] = [];
  const codes: Record<string, number> = {};
  const examples = new Map<string, string>();
  outcomes.forEach((outcome, i) => {
    const entry = pending[i];
    if (entry === undefined || outcome.errorCode === undefined) return;
    refused.push(entry);
    codes[outcome.errorCode] = (codes[outcome.errorCode] ?? 0) + 1;
    if (!examples.has(outcome.errorCode))
      examples.set(outcome.errorCode, outcome.errorMessage ?? '(no message)');
  });
  if (refused.length === 0) return undefined;
  const detail = [...examples].map(([code, message]) => `${code}: ${message}`).join('; ');
  return { pending: refused, attempts, final: false, codes, detail };
}

/**
 * Why an answer cannot be matched entry by entry to the request, or undefined when it can: one
 * result per entry in request order, each stored or with an ErrorCode, and a failed count that
 * agrees with the ErrorCodes.
 */
function unmatchableAnswer(answer: BatchAnswer, sent: number, names: AnswerNames): string | undefined {
  const outcomes = answer.outcomes;
  if (outcomes === undefined) return `the response had no ${names.results} for ${sent} entries`;
  if (outcomes.length !== sent)
    return `the response had ${outcomes.length} ${names.results} for ${sent} entries`;
  const blank = outcomes.findIndex((o) => o.errorCode === undefined && !o.stored);
  if (blank !== -1) return `result ${blank} of the response has neither ${names.stored} nor ErrorCode`;
  const failed = outcomes.filter((o) => o.errorCode !== undefined).length;
  if (answer.failedCount !== undefined && answer.failedCount !== failed) {
    return `${names.failedCount} is ${answer.failedCount} but ${failed} ${names.results} have an ErrorCode`;
  }
  return undefined;
}

export function formatCodes(codes: Readonly<Record<string, number>>): string {
  return Object.entries(codes)
    .map(([code, count]) => `${code} ×${count}`)
    .join(', ');
}
