import { describe, expect, it } from 'vitest';
import { encodePath, uriEncode } from './canonical-request.js';
import { amzDate, signRequest } from './sign.js';

// The worked examples of the S3 documentation ("Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk"), with its example key pair.
const EXAMPLE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const DATE = new Date('2013-05-24T00:00:00Z');

describe('signRequest (S3 documentation examples)', () => {
  it('GET Object with a Range header', () => {
    const signed = signRequest({
      method: 'GET',
      encodedPath: '/test.txt',
      headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' },
      body: Buffer.alloc(0),
      region: 'us-east-1',
      service: 's3',
      credentials: EXAMPLE_CREDENTIALS,
      date: DATE,
    });
    expect(signed.canonicalRequest).toBe(
      [
        'GET',
        '/test.txt',
        '',
        'host:examplebucket.s3.amazonaws.com',
        'range:bytes=0-9',
        'x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        'x-amz-date:20130524T000000Z',
        '',
        'host;range;x-amz-content-sha256;x-amz-date',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('PUT Object with a $ in the key and a signed payload', () => {
    const signed = signRequest({
      method: 'PUT',
      encodedPath: encodePath('/test$file.text'),
      headers: {
        Host: 'examplebucket.s3.amazonaws.com',
        Date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      },
      body: Buffer.from('Welcome to Amazon S3.'),
      region: 'us-east-1',
      service: 's3',
      credentials: EXAMPLE_CREDENTIALS,
      date: DATE,
    });
    expect(signed.headers['x-amz-content-sha256']).toBe(
      '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    );
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, ' +
        'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it('signs and sends the session token of temporary credentials', () => {
    const signed = signRequest({
      method: 'PUT',
      encodedPath: '/k',
      headers: { host: 'h' },
      body: Buffer.alloc(0),
      region: 'eu-west-1',
      service: 's3',
      credentials: { ...EXAMPLE_CREDENTIALS, sessionToken: 'token/with+chars=' },
      date: DATE,
    });
    expect(signed.headers['x-amz-security-token']).toBe('token/with+chars=');
    expect(signed.headers.authorization).toContain(
      'SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,',
    );
  });
});

describe('uriEncode', () => {
  it('keeps only the RFC 3986 unreserved characters and encodes UTF-8 bytes', () => {
    expect(uriEncode('a-Z_0.9~')).toBe('a-Z_0.9~');
    expect(uriEncode("a b+c=d/e!'()*")).toBe('a%20b%2Bc%3Dd%2Fe%21%27%28%29%2A');
    expect(uriEncode('café ☕')).toBe('caf%C3%A9%20%E2%98%95');
    expect(encodePath('/b/photos/a b/c')).toBe('/b/photos/a%20b/c');
  });
});

describe('amzDate', () => {
  it('formats the basic ISO 8601 forms without milliseconds', () => {
    expect(amzDate(new Date('2026-11-26T23:59:59.500Z'))).toEqual({
      long: '20261126T235959Z',
      short: '20261126',
    });
  });
});
