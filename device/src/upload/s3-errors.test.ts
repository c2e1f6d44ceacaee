import { describe, expect, it } from 'vitest';
import { IotCredentialsError } from '../credentials/credentials-errors.js';
import { classifyS3Error } from './s3-errors.js';

const CONTEXT = { bucket: 'coffee-photos', region: 'eu-west-1', key: 'photos/pi-1/2026/11/26/x.jpg' };

/** Shaped like an S3 service error (S3ServiceError, and the AWS SDK's). */
function serviceError(name: string, status: number, fault: 'client' | 'server' = 'client') {
  return Object.assign(new Error(`${name} message`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });
}

function networkError(code: string) {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:4568`), { code });
}

describe('classifyS3Error', () => {
  it.each([
    ['AccessDenied', 403, /s3:PutObject on arn:aws:s3:::coffee-photos\/photos\/pi-1\/\*/],
    ['NoSuchBucket', 404, /bucket "coffee-photos" does not exist/],
    ['PermanentRedirect', 301, /upload\.region/],
    ['InvalidAccessKeyId', 403, /rejected the credentials/],
    ['RequestTimeTooSkewed', 403, /NTP/],
  ])('%s (HTTP %i) is permanent and says what to fix', (name, status, hint) => {
    const error = classifyS3Error(serviceError(name, status), CONTEXT);
    expect(error).toMatchObject({ kind: 'permanent', code: name, status });
    expect(error.hint).toMatch(hint);
    expect(error.message).toContain('s3://coffee-photos/photos/pi-1/2026/11/26/x.jpg');
  });

  it.each([
    ['InternalError', 500, 'server'],
    ['SlowDown', 503, 'server'],
    ['ExpiredToken', 400, 'client'],
    ['RequestTimeout', 400, 'client'],
    ['BadDigest', 400, 'client'],
  ] as const)('%s (HTTP %i) is transient', (name, status, fault) => {
    expect(classifyS3Error(serviceError(name, status, fault), CONTEXT)).toMatchObject({
      kind: 'transient',
      code: name,
    });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT'])(
    'network error %s is transient',
    (code) => {
      expect(classifyS3Error(networkError(code), CONTEXT)).toMatchObject({ kind: 'transient', code });
    },
  );

  it('passes credential provider failures through with their advice', () => {
    const denied = new IotCredentialsError('answered 403 "Access Denied": check the policy', {
      failure: 'http',
      status: 403,
      serverMessage: 'Access Denied',
    });
    expect(classifyS3Error(denied, CONTEXT)).toMatchObject({
      kind: 'permanent',
      code: 'IotCredentials403',
      cause: denied,
    });
    const offline = new IotCredentialsError('unreachable', { failure: 'network' });
    expect(classifyS3Error(offline, CONTEXT)).toMatchObject({
      kind: 'transient',
      code: 'IotCredentials-network',
    });
  });
});
