import { JOB_ID_PATTERN } from '@coffee-iot/shared';

/**
 * The operations a device runs (its allow-list, device/src/jobs): the CLI refuses any other before
 * anything is sent, and the agent refuses it again (REJECTED), so a typo never reaches a fleet as
 * a job that can only fail.
 */
export const JOB_OPERATIONS = [
  'capture-photo',
  'upload-logs',
  'set-config',
  'restart',
  'update-agent',
  'rotate-cert',
] as const;
export type JobOperation = (typeof JOB_OPERATIONS)[number];

export function isJobOperation(value: string): value is JobOperation {
  return (JOB_OPERATIONS as readonly string[]).includes(value);
}

/** IoT Core's limit for a job document. */
export const MAX_JOB_DOCUMENT_BYTES = 32 * 1024;

export class JobDocumentError extends Error {
  override readonly name = 'JobDocumentError';
}

/** `{ operation, ...parameters }`, refused when the operation is not allow-listed or too large. */
export function buildJobDocument(
  operation: string,
  parameters: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  if (!isJobOperation(operation)) {
    throw new JobDocumentError(
      `"${operation}" is not an operation devices run; one of: ${JOB_OPERATIONS.join(', ')}`,
    );
  }
  if (Object.hasOwn(parameters, 'operation')) {
    throw new JobDocumentError('"operation" is the job\'s name, not a parameter');
  }
  const document = { operation, ...parameters };
  const bytes = Buffer.byteLength(JSON.stringify(document));
  if (bytes > MAX_JOB_DOCUMENT_BYTES) {
    throw new JobDocumentError(
      `the job document is ${bytes} bytes; IoT Core allows ${MAX_JOB_DOCUMENT_BYTES}`,
    );
  }
  return document;
}

/** A job id the operator can read back: `capture-photo-20261207T211500Z-3f9a`. */
export function newJobId(operation: string, now: Date, random: () => number = Math.random): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const suffix = Math.floor(random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  const jobId = `${operation}-${stamp}-${suffix}`;
  if (!JOB_ID_PATTERN.test(jobId))
    throw new JobDocumentError(`job id "${jobId}" must match ${JOB_ID_PATTERN}`);
  return jobId;
}
