import {
  JOB_EXECUTION_STATUSES,
  type JobExecutionStatus,
  type JobStatusDetails,
  type JobsErrorCode,
  type StartNextRequest,
  type UpdateJobExecutionRequest,
} from '@coffee-iot/shared';
import { isPlainObject } from './shadow-state.js';

/** AWS: step timeouts of 1 minute to 7 days. */
export const MAX_STEP_TIMEOUT_MINUTES = 10_080;
const MAX_CLIENT_TOKEN_LENGTH = 64;
const MAX_STATUS_DETAIL_LENGTH = 1024;

export type Parsed<T> =
  | { ok: true; request: T }
  | { ok: false; code: JobsErrorCode; message: string; clientToken?: string };

type Body = Record<string, unknown>;

/** A request body as JSON: an empty payload is `{}`, as the jobs API allows for get requests. */
function parseBody(payload: Buffer): Parsed<Body> {
  if (payload.byteLength === 0) return { ok: true, request: {} };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, code: 'InvalidJson', message: 'The request body is not valid JSON' };
  }
  if (!isPlainObject(body))
    return { ok: false, code: 'InvalidJson', message: 'The request body must be a JSON object' };
  return { ok: true, request: body };
}

function invalid(
  message: string,
  body: Body,
): { ok: false; code: JobsErrorCode; message: string; clientToken?: string } {
  const token = typeof body.clientToken === 'string' ? { clientToken: body.clientToken } : {};
  return { ok: false, code: 'InvalidRequest', message, ...token };
}

/** The problems common to every request: clientToken, statusDetails, stepTimeoutInMinutes. */
function commonProblem(body: Body): string | undefined {
  const { clientToken, statusDetails, stepTimeoutInMinutes } = body;
  if (
    clientToken !== undefined &&
    (typeof clientToken !== 'string' || clientToken.length > MAX_CLIENT_TOKEN_LENGTH)
  ) {
    return `clientToken must be a string of at most ${MAX_CLIENT_TOKEN_LENGTH} characters`;
  }
  if (statusDetails !== undefined) {
    if (!isPlainObject(statusDetails)) return 'statusDetails must be an object of strings';
    for (const [key, value] of Object.entries(statusDetails)) {
      if (typeof value !== 'string' || value.length > MAX_STATUS_DETAIL_LENGTH) {
        return `statusDetails.${key} must be a string of at most ${MAX_STATUS_DETAIL_LENGTH} characters`;
      }
    }
  }
  if (
    stepTimeoutInMinutes !== undefined &&
    !(
      Number.isInteger(stepTimeoutInMinutes) &&
      (stepTimeoutInMinutes as number) >= 1 &&
      (stepTimeoutInMinutes as number) <= MAX_STEP_TIMEOUT_MINUTES
    )
  ) {
    return `stepTimeoutInMinutes must be an integer from 1 to ${MAX_STEP_TIMEOUT_MINUTES}`;
  }
  return undefined;
}

export function parseStartNext(payload: Buffer): Parsed<StartNextRequest> {
  const parsed = parseBody(payload);
  if (!parsed.ok) return parsed;
  const problem = commonProblem(parsed.request);
  if (problem) return invalid(problem, parsed.request);
  return { ok: true, request: parsed.request as StartNextRequest };
}

export function parseUpdate(payload: Buffer): Parsed<UpdateJobExecutionRequest> {
  const parsed = parseBody(payload);
  if (!parsed.ok) return parsed;
  const body = parsed.request;
  const problem = commonProblem(body);
  if (problem) return invalid(problem, body);
  if (!JOB_EXECUTION_STATUSES.includes(body.status as JobExecutionStatus)) {
    return invalid(`status must be one of ${JOB_EXECUTION_STATUSES.join(', ')}`, body);
  }
  for (const field of ['expectedVersion', 'executionNumber'] as const) {
    const value = body[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
      return invalid(`${field} must be a non-negative integer`, body);
    }
  }
  for (const field of ['includeJobExecutionState', 'includeJobDocument'] as const) {
    if (body[field] !== undefined && typeof body[field] !== 'boolean')
      return invalid(`${field} must be a boolean`, body);
  }
  return { ok: true, request: body as unknown as UpdateJobExecutionRequest };
}

export interface DescribeRequest {
  executionNumber?: number;
  includeJobDocument?: boolean;
  clientToken?: string;
}

/** DescribeJobExecution and GetPendingJobExecutions: both take a client token, describe a little more. */
export function parseDescribe(payload: Buffer): Parsed<DescribeRequest> {
  const parsed = parseBody(payload);
  if (!parsed.ok) return parsed;
  const body = parsed.request;
  const problem = commonProblem(body);
  if (problem) return invalid(problem, body);
  if (
    body.executionNumber !== undefined &&
    !(Number.isSafeInteger(body.executionNumber) && (body.executionNumber as number) >= 0)
  ) {
    return invalid('executionNumber must be a non-negative integer', body);
  }
  if (body.includeJobDocument !== undefined && typeof body.includeJobDocument !== 'boolean') {
    return invalid('includeJobDocument must be a boolean', body);
  }
  return { ok: true, request: body as DescribeRequest };
}

export type { JobStatusDetails };
