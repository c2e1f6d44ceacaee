import { LAKE_PREFIXES, partitionPath } from './layout.js';
import type { PartitionValues } from './rows.js';

/**
 * Messages a topic rule could not route, in the lake: the local stack's rules write them, and in
 * AWS a topic rule's S3 error action does. One shape for both, AWS IoT's error action message
 * (https://docs.aws.amazon.com/iot/latest/developerguide/rule-error-handling.html), so one tool
 * reads either: `ruleName`, `topic`, `clientId`, `base64OriginalPayload`, `failures`. The local
 * stack adds `arrivedAt` and `reason` (and the text of a payload that is UTF-8); AWS's own
 * messages do not carry them, so a reader falls back on ruleErrorReason().
 *
 * They live under `errors/rule/{ingest partition of the arrival}/`, apart from the transform's
 * `errors/{partition}/` (which replay rebuilds from the raw archive): a message a rule refused
 * never reached the stream, so this is its only copy.
 */
export const RULE_ERRORS_PREFIX = `${LAKE_PREFIXES.errors}/rule`;

/** `errors/rule/ingest_year=…/ingest_month=…/ingest_day=…/ingest_hour=…` */
export function ruleErrorsPartitionKey(values: PartitionValues): string {
  return `${RULE_ERRORS_PREFIX}/${partitionPath(values)}`;
}

/**
 * The same partition as an S3 object key template for an IoT rule's S3 error action, one object
 * per failed message. Substitution templates are evaluated when the action runs (UTC).
 */
const iotTemplate = (expression: string) => `\${${expression}}`;
const utcField = (pattern: string) => iotTemplate(`parse_time("${pattern}", timestamp(), "UTC")`);

export const RULE_ERROR_S3_KEY_TEMPLATE = [
  RULE_ERRORS_PREFIX,
  `ingest_year=${utcField('yyyy')}`,
  `ingest_month=${utcField('MM')}`,
  `ingest_day=${utcField('dd')}`,
  `ingest_hour=${utcField('HH')}`,
  `${iotTemplate('newuuid()')}.json`,
].join('/');

/** One failed action of a rule, as AWS IoT reports it. */
export interface RuleFailure {
  /** `KinesisAction`, `S3Action`… (AWS), or the local rule's stand-in for one. */
  failedAction: string;
  /** The stream, bucket or function the action was for. */
  failedResource: string;
  errorMessage: string;
}

/** AWS IoT's error action message. */
export interface RuleErrorMessage {
  ruleName: string;
  topic: string;
  clientId: string;
  /** The message's bytes exactly as published. */
  base64OriginalPayload: string;
  failures: RuleFailure[];
  /** AWS only: finds the message's trace in CloudWatch. */
  cloudwatchTraceId?: string;
}

/** What the local stack writes: AWS's message plus when it arrived, why, and its text if it has one. */
export interface RuleErrorRecord extends RuleErrorMessage {
  /** ISO-8601 UTC arrival at the broker. */
  arrivedAt: string;
  /** Why the message was refused: a malformed payload, a deviceId that is not the topic's… */
  reason: string;
  /** The payload as text, present only when its bytes are UTF-8. */
  originalPayload?: string;
}

export interface RuleErrorInput {
  ruleName: string;
  topic: string;
  clientId: string;
  payload: Uint8Array;
  arrivedAt: Date;
  reason: string;
  failedAction: string;
  failedResource: string;
}

// fatal: bytes that are not UTF-8 get no text form rather than a text with U+FFFD in it.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as text, or undefined when its bytes are not UTF-8. */
export function utf8Text(payload: Uint8Array): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

export function ruleErrorRecord(input: RuleErrorInput): RuleErrorRecord {
  const bytes = Buffer.from(input.payload.buffer, input.payload.byteOffset, input.payload.byteLength);
  const text = utf8Text(input.payload);
  return {
    ruleName: input.ruleName,
    topic: input.topic,
    clientId: input.clientId,
    base64OriginalPayload: bytes.toString('base64'),
    failures: [
      { failedAction: input.failedAction, failedResource: input.failedResource, errorMessage: input.reason },
    ],
    arrivedAt: input.arrivedAt.toISOString(),
    reason: input.reason,
    ...(text === undefined ? {} : { originalPayload: text }),
  };
}

/** A rule error's reason: ours when the local stack wrote it, else the failures' messages. */
export function ruleErrorReason(message: RuleErrorMessage & { reason?: string }): string {
  return message.reason ?? message.failures.map((failure) => failure.errorMessage).join('; ');
}

/** The message's bytes as published. */
export function ruleErrorPayload(message: RuleErrorMessage): Buffer {
  return Buffer.from(message.base64OriginalPayload, 'base64');
}

/** Rule error records as one file's body: one JSON object per line. */
export function encodeRuleErrorLines(records: readonly RuleErrorRecord[]): Buffer {
  return Buffer.from(records.map((record) => `${JSON.stringify(record)}\n`).join(''), 'utf8');
}

/** A line of a rule errors file that is not an error action message. */
export class RuleErrorShapeError extends Error {
  override readonly name = 'RuleErrorShapeError';
}

function isRuleErrorMessage(value: unknown): value is RuleErrorMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.ruleName === 'string' &&
    typeof m.topic === 'string' &&
    typeof m.clientId === 'string' &&
    typeof m.base64OriginalPayload === 'string' &&
    Array.isArray(m.failures)
  );
}

/**
 * Parses a rule errors file: the local stack's (one message per line) or an S3 error action's
 * object (one message, possibly pretty-printed). Throws RuleErrorShapeError naming the line.
 */
export function parseRuleErrorLines(text: string): (RuleErrorMessage & Partial<RuleErrorRecord>)[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let values: unknown[];
  try {
    values = [JSON.parse(trimmed)];
  } catch {
    values = trimmed.split('\n').map((line, index) => {
      try {
        return JSON.parse(line);
      } catch (cause) {
        throw new RuleErrorShapeError(`line ${index + 1} is not JSON`, { cause });
      }
    });
  }
  return values.map((value, index) => {
    if (!isRuleErrorMessage(value)) {
      throw new RuleErrorShapeError(
        `entry ${index + 1} is not a rule error message (ruleName, topic, clientId, base64OriginalPayload, failures)`,
      );
    }
    return value;
  });
}
