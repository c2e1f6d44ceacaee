import { IotCredentialsError } from '../credentials/credentials-errors.js';
import { PhotoUploadError } from './uploader-port.js';

/** What s3-put-object.ts throws (shaped as AWS SDK v3 service and transport errors are). */
interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

export interface UploadContext {
  bucket: string;
  region: string;
  key: string;
}

/** Codes that mean "try again later" whatever their HTTP status. */
const TRANSIENT_CODES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'InternalError',
  'ServiceUnavailable',
  'BadDigest',
  'TimeoutError',
  'AbortError',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/** The credentials were refused as expired: fetch new ones before the retry. */
export const EXPIRED_CREDENTIAL_CODES = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
]);

/** Turns anything the S3 client throws into a PhotoUploadError that says what to do. */
export function classifyS3Error(error: unknown, context: UploadContext): PhotoUploadError {
  const target = `s3://${context.bucket}/${context.key}`;
  if (error instanceof IotCredentialsError) {
    return new PhotoUploadError(
      `no AWS credentials to upload ${target}: ${error.message}`,
      {
        kind: error.permanent ? 'permanent' : 'transient',
        code: error.status ? `IotCredentials${error.status}` : `IotCredentials-${error.failure}`,
        status: error.status,
        hint: error.message,
      },
      { cause: error },
    );
  }
  const e = (error ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  const code = e.Code ?? (e.code && /^E[A-Z]+$/.test(e.code) ? e.code : undefined) ?? e.name ?? 'Error';
  const transient =
    TRANSIENT_CODES.has(code) ||
    status === undefined ||
    status === 408 ||
    status === 429 ||
    status >= 500 ||
    e.$fault === 'server';
  const hint = transient ? transientHint(code) : permanentHint(code, context);
  return new PhotoUploadError(
    `upload of ${target} failed: ${code}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`,
    { kind: transient ? 'transient' : 'permanent', code, status, hint },
    { cause: error },
  );
}

function transientHint(code: string): string {
  if (EXPIRED_CREDENTIAL_CODES.has(code))
    return 'credentials expired; fresh ones are fetched before the retry';
  if (code === 'BadDigest')
    return 'the bytes S3 received did not match their MD5 (corrupted in transit); retrying';
  return 'network or service unavailable; the photo stays in the outbox and is retried with backoff';
}

function permanentHint(code: string, { bucket, region, key }: UploadContext): string {
  const prefix = key.split('/').slice(0, 2).join('/');
  switch (code) {
    case 'AccessDenied':
    case 'Forbidden':
      return `the role behind the IoT role alias needs s3:PutObject on arn:aws:s3:::${bucket}/${prefix}/* (and kms:GenerateDataKey if the bucket uses SSE-KMS)`;
    case 'NoSuchBucket':
      return `bucket "${bucket}" does not exist: check upload.bucket (and upload.region, ${region})`;
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return `bucket "${bucket}" is not in region ${region}: set upload.region to the bucket's region`;
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
      return 'S3 rejected the credentials: check the credential provider endpoint and role alias (or the dev credentials of the local stack)';
    case 'RequestTimeTooSkewed':
      return 'the device clock is off by more than 15 minutes: check NTP (timedatectl) on the Pi';
    case 'InvalidDigest':
      return 'the Content-MD5 header was rejected as malformed';
    case 'EntityTooLarge':
      return 'the photo exceeds the size S3 accepts in one PUT';
    default:
      return 'S3 rejected the request; see the error code';
  }
}
