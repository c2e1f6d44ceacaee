import { JOB_ID_PATTERN } from './aws-iot/jobs.js';
import { THING_NAME_PATTERN } from './topics.js';

/**
 * Log uploads (the `upload-logs` job): `logs/{thing}/{yyyymmddThhmmssZ}-{jobId}.log`. The role
 * alias lets a device write under its own `logs/{thing}/` prefix only, like its photos.
 */
export const LOG_KEY_PREFIX = 'logs';

export class LogKeyError extends Error {
  override readonly name = 'LogKeyError';
}

/** `logs/{thing}/`, for a policy resource or a listing. */
export function logKeyPrefix(thingName: string): string {
  if (!THING_NAME_PATTERN.test(thingName) && !thingName.startsWith('${')) {
    throw new LogKeyError(`thing name "${thingName}" must match ${THING_NAME_PATTERN}`);
  }
  return `${LOG_KEY_PREFIX}/${thingName}/`;
}

/** The key one job's log upload goes to; the UTC stamp sorts a thing's uploads by time. */
export function logUploadKey(thingName: string, uploadedAt: Date, jobId: string): string {
  if (!THING_NAME_PATTERN.test(thingName)) {
    throw new LogKeyError(`thing name "${thingName}" must match ${THING_NAME_PATTERN}`);
  }
  if (!JOB_ID_PATTERN.test(jobId)) throw new LogKeyError(`job id "${jobId}" must match ${JOB_ID_PATTERN}`);
  if (Number.isNaN(uploadedAt.getTime())) throw new LogKeyError('upload time is not a valid date');
  // 2026-12-07T20:56:19.123Z → 20261207T205619Z: no colons, which some S3 tools mangle.
  const stamp = `${uploadedAt.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
  return `${logKeyPrefix(thingName)}${stamp}-${jobId}.log`;
}
