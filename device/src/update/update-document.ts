import type { JobDocument } from '@coffee-iot/shared';

export const UPDATE_AGENT_OPERATION = 'update-agent';
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 60;
export const DEFAULT_START_ATTEMPTS = 3;

/**
 * A release version as it names a directory (`releases/{version}`) and a value in the launcher's
 * state file: no slashes, spaces or shell metacharacters can get through.
 */
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;

/**
 * The `update-agent` job document:
 *
 *   { "operation": "update-agent", "version": "1.2.3",
 *     "bundle": { "url": "https://…/coffee-iot-agent-1.2.3-linux-arm64.tar.gz",
 *                 "sha256": "<64 hex>", "signature": "<base64 DER ECDSA P-256>" },
 *     "healthTimeoutSeconds": 60, "startAttempts": 3 }
 *
 * `url` is HTTPS (an S3 presigned URL), HTTP, file:// or an absolute path (local stack, tests).
 */
export interface UpdateAgentDocument {
  readonly version: string;
  readonly url: string;
  readonly sha256: string;
  readonly signature: string | undefined;
  /** Seconds the new agent has, from its first start, to connect and get its first PUBACK. */
  readonly healthTimeoutSeconds: number;
  /** Starts of the new agent (crashes before it is healthy) before the launcher rolls back. */
  readonly startAttempts: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function urlProblem(url: string): string | null {
  if (url.startsWith('/')) return null;
  if (url.startsWith('s3://')) {
    return 'bundle.url: s3:// URLs cannot be fetched by the device; use a presigned HTTPS URL (aws s3 presign)';
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `bundle.url: expected an https://, http:// or file:// URL or an absolute path, got ${JSON.stringify(url)}`;
  }
  return ['https:', 'http:', 'file:'].includes(parsed.protocol)
    ? null
    : `bundle.url: expected https://, http://, file:// or an absolute path, got ${parsed.protocol}`;
}

function integerProblem(value: unknown, key: string, min: number, max: number): string | null {
  if (value === undefined) return null;
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? null
    : `${key}: expected an integer ${min}-${max}, got ${JSON.stringify(value)}`;
}

/** Every problem with the document at once, in plain words; empty when it can run. */
export function updateDocumentProblems(document: JobDocument): string[] {
  const problems: string[] = [];
  const { version, bundle } = document;
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version)) {
    problems.push(
      `version: expected a release version like 1.2.3 (letters, digits, . _ + -), got ${JSON.stringify(version)}`,
    );
  }
  if (!isRecord(bundle)) {
    problems.push('bundle: expected an object with url, sha256 and signature');
  } else {
    if (typeof bundle.url !== 'string' || bundle.url === '')
      problems.push('bundle.url: expected a URL or an absolute path');
    else {
      const problem = urlProblem(bundle.url);
      if (problem) problems.push(problem);
    }
    // The digest's form and the signature's presence are checked when the job runs, so a job
    // with a bad one ends FAILED naming the check rather than never starting.
    if (typeof bundle.sha256 !== 'string')
      problems.push('bundle.sha256: expected the hex SHA-256 of the bundle');
    if (bundle.signature !== undefined && typeof bundle.signature !== 'string') {
      problems.push('bundle.signature: expected base64 text');
    }
  }
  const timeout = integerProblem(document.healthTimeoutSeconds, 'healthTimeoutSeconds', 5, 3600);
  if (timeout) problems.push(timeout);
  const attempts = integerProblem(document.startAttempts, 'startAttempts', 1, 10);
  if (attempts) problems.push(attempts);
  return problems;
}

/** The document's fields with defaults; call after updateDocumentProblems returned none. */
export function readUpdateDocument(document: JobDocument): UpdateAgentDocument {
  const bundle = document.bundle as Record<string, unknown>;
  return {
    version: document.version as string,
    url: bundle.url as string,
    sha256: bundle.sha256 as string,
    signature: bundle.signature as string | undefined,
    healthTimeoutSeconds:
      (document.healthTimeoutSeconds as number | undefined) ?? DEFAULT_HEALTH_TIMEOUT_SECONDS,
    startAttempts: (document.startAttempts as number | undefined) ?? DEFAULT_START_ATTEMPTS,
  };
}
