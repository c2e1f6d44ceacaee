import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import type { Logger } from '../../logging/logger.js';
import { type ErrorSink, ErrorSinkWriteError } from './error-sink.js';
import { firehoseInputsOf } from './event-inputs.js';
import type { FirehoseTransformConfig } from './firehose-transform-config.js';
import { pipelineMetricsLine } from './pipeline-metrics.js';
import { type FailedRecord, type FirehosePlan, planFirehoseResponse } from './plan-response.js';
import { readingErrorFiles } from './reading-errors.js';
import { type RecordReingester, ReingestFailedError } from './reingest.js';

export interface FirehoseTransformDeps {
  config: FirehoseTransformConfig;
  /** The re-ingest adapter for this event's source (Kinesis stream or DirectPut delivery stream). */
  reingesterFor: (event: FirehoseTransformationEvent) => RecordReingester;
  /** The lake bucket's errors/ prefix, for the readings refused on their own. */
  errorSink: ErrorSink;
  logger: Logger;
  /**
   * Writes the invocation's Embedded Metric Format line. Not the logger: metrics and their alarms
   * must not depend on LOG_LEVEL. The handler writes to stdout, which Lambda sends to CloudWatch Logs.
   */
  writeMetrics: (line: string) => void;
  /** When the metrics are stamped; defaults to now. */
  now?: () => Date;
  /** Defaults to Lambda's 6 MB; tests shrink it. */
  maxResponseBytes?: number;
}

/** Log lines per invocation for refused records; the rest are counted (they are all in S3). */
const MAX_REFUSED_LOG_LINES = 20;

/**
 * One Firehose transformation invocation: every record answered exactly once (Ok with
 * newline-delimited rows, Dropped, or ProcessingFailed), the response within the limit, the
 * overflow re-ingested before answering. Refused and given-up records are logged with their
 * reason, because processing-failed/ only keeps Firehose's generic error message. A record
 * refused because its payload names another device than its topic is one of those, and counted
 * apart. The readings refused on their own (their envelope's other readings are in the answer)
 * are written to errors/readings/ before answering. Throws ErrorSinkWriteError when they could
 * not be written, and ReingestFailedError when the overflow could not be put back: Firehose then
 * retries the invocation instead of taking answers for readings that would exist nowhere.
 * Logs one accounting line and writes one metrics line per invocation.
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

  // Before the re-ingest: should that fail, the retried invocation writes the same keys again.
  const errorFiles = await writeReadingErrors(plan, deps, context);

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
    {
      ...context,
      ...plan.counts,
      errorFiles,
      responseBytes: plan.responseBytes,
      reingestTarget: reingester.target,
    },
    'firehose batch transformed',
  );
  deps.writeMetrics(
    pipelineMetricsLine(
      config.table,
      {
        identityMismatches: plan.counts.identityMismatches,
        refusedReadings: plan.counts.refusedReadings,
        refusedRecords: plan.counts.refused,
      },
      deps.now?.() ?? new Date(),
    ),
  );
  return plan.response;
}

/** Writes the plan's refused readings; returns how many files. Throws ErrorSinkWriteError. */
async function writeReadingErrors(
  plan: FirehosePlan,
  deps: FirehoseTransformDeps,
  context: object,
): Promise<number> {
  if (plan.readingErrors.length === 0) return 0;
  const files = readingErrorFiles(plan.readingErrors, deps.config.table);
  try {
    // Few files (one per arrival hour in the batch): side by side.
    await Promise.all(files.map((file) => deps.errorSink.write(file.key, file.body)));
  } catch (error) {
    const failed =
      error instanceof ErrorSinkWriteError
        ? error
        : new ErrorSinkWriteError(deps.errorSink.target, files[0]?.key ?? '', { cause: error });
    deps.logger.error(
      {
        ...context,
        target: failed.target,
        key: failed.key,
        readings: plan.readingErrors.length,
        err: failed,
      },
      'refused readings could not be written: the invocation fails so that Firehose retries the batch',
    );
    throw failed;
  }
  for (const file of files) {
    deps.logger.warn(
      { ...context, key: file.key, readings: file.lines },
      'refused readings written to errors/',
    );
  }
  return files.length;
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
