import { JOB_ID_PATTERN } from '@coffee-iot/shared';
import { MAX_STEP_TIMEOUT_MINUTES } from '../iot-core/jobs-request.js';
import { parseDeviceId } from './api-params.js';
import type { CreateJobRequest } from './device-control.js';
import { badRequest } from './http-errors.js';
import { decodePathPart } from './request-path.js';

/** A setting's name: an agent.json key, dotted for nested ones (`coffee.countdownSeconds`). */
const SETTING_PATH = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;
const OPERATION = /^[a-z][a-z0-9-]{0,63}$/;
const MAX_TARGETS = 1000;

type Body = Record<string, unknown>;

function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every problem at once, each naming its field. */
function refuse(problems: readonly string[]): never {
  throw badRequest(`invalid request body: ${problems.join('; ')}`);
}

function unknownFields(body: Body, allowed: readonly string[]): string[] {
  return Object.keys(body)
    .filter((key) => !allowed.includes(key))
    .map((key) => `${key}: unknown field (allowed: ${allowed.join(', ')})`);
}

/**
 * `PUT /api/devices/{thing}/config`: `{ "desired": { "batchSeconds": 10, "coffee.countdownSeconds": 3 } }`.
 * Dotted names are nested as the agent's config has them; null removes a desired key. Values are
 * the device's to check (its own config schema), which reports a refusal with the reason.
 */
export function parseDesiredConfig(body: Body): Record<string, unknown> {
  const problems = unknownFields(body, ['desired']);
  const { desired } = body;
  if (!isObject(desired) || Object.keys(desired).length === 0) {
    problems.push(
      'desired: must be an object with at least one setting, e.g. {"desired": {"batchSeconds": 10}}',
    );
    refuse(problems);
  }
  const nested: Body = {};
  for (const [path, value] of Object.entries(desired)) {
    if (!SETTING_PATH.test(path)) {
      problems.push(`desired.${path}: not a setting name (letters, digits and _, dotted for nested keys)`);
      continue;
    }
    const parts = path.split('.');
    const last = parts.pop() as string;
    let node = nested;
    let clash = false;
    for (const part of parts) {
      if (node[part] === undefined) node[part] = {};
      if (!isObject(node[part])) {
        clash = true;
        break;
      }
      node = node[part] as Body;
    }
    if (clash || (node[last] !== undefined && isObject(node[last]) !== isObject(value))) {
      problems.push(`desired.${path}: set twice (as a value and as a group)`);
      continue;
    }
    node[last] = isObject(value) && isObject(node[last]) ? { ...(node[last] as Body), ...value } : value;
  }
  if (problems.length > 0) refuse(problems);
  return nested;
}

/**
 * `POST /api/jobs`: `{ "operation": "capture-photo", "parameters"?: {…}, "targets": ["coffee-pi-1"],
 * "jobId"?: "…", "stepTimeoutMinutes"?: 10 }`; the job document is `{ operation, ...parameters }`.
 * Any operation name is queued: the device's allow-list decides (an unknown one ends REJECTED).
 */
export function parseCreateJob(body: Body): CreateJobRequest {
  const problems = unknownFields(body, ['operation', 'parameters', 'targets', 'jobId', 'stepTimeoutMinutes']);
  const { operation, parameters, targets, jobId, stepTimeoutMinutes } = body;
  if (typeof operation !== 'string' || !OPERATION.test(operation)) {
    problems.push(
      'operation: must be a job operation name such as "capture-photo" (lower-case letters, digits, -)',
    );
  }
  if (parameters !== undefined && !isObject(parameters)) {
    problems.push('parameters: must be an object (the job document fields besides operation)');
  } else if (parameters !== undefined && 'operation' in parameters) {
    problems.push('parameters.operation: give the operation once, at the top level');
  }
  if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_TARGETS) {
    problems.push(`targets: must be a list of 1 to ${MAX_TARGETS} thing names`);
  } else {
    const bad = targets.filter((target) => typeof target !== 'string' || !validThing(target));
    if (bad.length > 0)
      problems.push(
        `targets: not thing names: ${bad
          .slice(0, 5)
          .map((t) => JSON.stringify(t))
          .join(', ')}`,
      );
    if (new Set(targets).size !== targets.length) problems.push('targets: names a thing more than once');
  }
  if (jobId !== undefined && (typeof jobId !== 'string' || !JOB_ID_PATTERN.test(jobId))) {
    problems.push('jobId: must be 1 to 64 letters, digits, _ or -');
  }
  if (
    stepTimeoutMinutes !== undefined &&
    !(
      Number.isInteger(stepTimeoutMinutes) &&
      (stepTimeoutMinutes as number) >= 1 &&
      (stepTimeoutMinutes as number) <= MAX_STEP_TIMEOUT_MINUTES
    )
  ) {
    problems.push(`stepTimeoutMinutes: must be an integer from 1 to ${MAX_STEP_TIMEOUT_MINUTES}`);
  }
  if (problems.length > 0) refuse(problems);
  return {
    document: { operation: operation as string, ...(parameters as Body | undefined) },
    targets: targets as string[],
    ...(jobId === undefined ? {} : { jobId: jobId as string }),
    ...(stepTimeoutMinutes === undefined ? {} : { stepTimeoutMinutes: stepTimeoutMinutes as number }),
  };
}

export function parseJobId(encoded: string): string {
  const jobId = decodePathPart(encoded, 'job id');
  if (!JOB_ID_PATTERN.test(jobId)) {
    throw badRequest(`invalid job id "${jobId.slice(0, 80)}": expected 1 to 64 letters, digits, "_" or "-"`);
  }
  return jobId;
}

function validThing(name: string): boolean {
  try {
    parseDeviceId(encodeURIComponent(name));
    return true;
  } catch {
    return false;
  }
}
