import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import type { Logger } from '../../logging/logger.js';
import { firehoseInputsOf } from './event-inputs.js';
import type { FirehoseTransformConfig } from './firehose-transform-config.js';
import { type FailedRecord, planFirehoseResponse } from './plan-response.js';
import { type RecordReingester, ReingestFailedError } from './reingest.js';

export interface FirehoseTransformDeps {
  config: FirehoseTransformConfig;
  /** The re-ingest adapter for this event's source (Kinesis stream or DirectPut delivery stream). */
  reingesterFor: (event: FirehoseTransformationEvent) => RecordReingester;
  logger: Logger;
  /** Defaults to Lambda's 6 MB; tests shrink it. */
  maxResponseBytes?: number;
}

/** Log lines per invocation for refused records; the rest are counted (they are all in S3). */
const MAX_REFUSED_LOG_LINES = 20;

/**
 * One Firehose transformation invocation: every record answered exactly once (Ok with
 * newline-delimited rows, Dropped, or ProcessingFailed), the response within the limit, the
 * overflow re-ingested before answering. Refused and given-up records are logged with their
 * reason, because processing-failed/ only keeps Firehose's generic error message. Throws
 * ReingestFailedError when the overflow could not be put back: Firehose then retries the
 * invocation instead of taking Dropped answers for records that would exist nowhere.
 */
export async function handleFirehoseEvent(
  event: FirehoseTransformationEvent,
  deps: FirehoseTransformDeps,
): Promise<FirehoseTransformationResult> {
  const { config, logger } = deps;
  const reingester = deps.reingesterFor(event);
  const plan = planFirehoseResponse(firehoseInputsOf(event), {
    table: config.table,
    maxReingests: config.maxReingests,
    partitionKeys: config.partitionKeys,
    canReingest: (record) => reingester.canTake(record),
    ...(deps.maxResponseBytes === undefined ? {} : { maxResponseBytes: deps.maxResponseBytes }),
  });
  const context = { invocationId: event.invocationId, table: config.table };

  logFailed(logger, context, plan.refused, 'record refused: ProcessingFailed');
  for (const record of plan.givenUp) {
    logger.error({ ...context, ...failedFields(record) }, 'overflow record given up: ProcessingFailed');
  }

  if (plan.reingest.length > 0) {
    try {
      await reingester.reingest(plan.reingest);
    } catch (error) {
      const failed =
        error instanceof ReingestFailedError
          ? error
          : new ReingestFailedError(`overflow records could not be put back on ${reingester.target}`, {
              target: reingester.target,
              notAccepted: plan.reingest.map((record) => record.recordId),
              cause: error,
            });
      logger.error(
        { ...context, target: failed.target, notAccepted: failed.notAccepted.length, err: failed },
        're-ingest failed: the invocation fails so that Firehose retries the batch',
      );
      throw failed;
    }
  }

  logger.info(
    { ...context, ...plan.counts, responseBytes: plan.responseBytes, reingestTarget: reingester.target },
    'firehose batch transformed',
  );
  return plan.response;
}

function failedFields(record: FailedRecord) {
  return {
    recordId: record.recordId,
    sequenceNumber: record.sequenceNumber,
    reason: record.reason,
    bytes: record.bytes,
  };
}

function logFailed(logger: Logger, context: object, records: readonly FailedRecord[], message: string): void {
  for (const record of records.slice(0, MAX_REFUSED_LOG_LINES)) {
    logger.warn({ ...context, ...failedFields(record) }, message);
  }
  if (records.length > MAX_REFUSED_LOG_LINES) {
    logger.warn(
      { ...context, notLogged: records.length - MAX_REFUSED_LOG_LINES },
      'more records refused than logged; all are under processing-failed/',
    );
  }
}
