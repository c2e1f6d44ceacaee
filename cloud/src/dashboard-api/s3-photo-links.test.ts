import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3PhotoLinks } from './s3-photo-links.js';

// The worked example of S3's documentation, "Authenticating Requests: Using Query Parameters":
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
const EXAMPLE_CLIENT = new S3Client({
  region: 'us-east-1',
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
});
const EXAMPLE_DATE = new Date('2013-05-24T00:00:00.000Z');

describe('createS3PhotoLinks', () => {
  it('signs exactly as the S3 documentation’s presigned URL example', async () => {
    const links = createS3PhotoLinks({
      client: EXAMPLE_CLIENT,
      bucket: 'examplebucket',
      hostname: 'examplebucket.s3.amazonaws.com',
      now: () => EXAMPLE_DATE,
    });
    const url = new URL(await links.linkFor('test.txt', 86_400));
    expect(`${url.origin}${url.pathname}`).toBe('https://examplebucket.s3.amazonaws.com/test.txt');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request',
      'X-Amz-Date': '20130524T000000Z',
      'X-Amz-Expires': '86400',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    });
  });

  it('uses the regional virtual-hosted endpoint, escapes each key segment and carries the session token', async () => {
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'secret',
        sessionToken: 'token/with+chars',
      },
    });
    const links = createS3PhotoLinks({ client, bucket: 'coffee-photos', now: () => EXAMPLE_DATE });
    const url = await links.linkFor("photos/coffee-pi-01/2026/03/02/a b(1)'.jpg", 300);
    expect(url).toMatch(
      /^https:\/\/coffee-photos\.s3\.eu-west-1\.amazonaws\.com\/photos\/coffee-pi-01\/2026\/03\/02\/a%20b%281%29%27\.jpg\?/,
    );
    const query = new URL(url).searchParams;
    expect(query.get('X-Amz-Expires')).toBe('300');
    expect(query.get('X-Amz-Security-Token')).toBe('token/with+chars');
    expect(query.get('X-Amz-SignedHeaders')).toBe('host');
    expect(query.has('x-amz-content-sha256')).toBe(false);
  });

  it('refuses a lifetime S3 would not honour', async () => {
    const links = createS3PhotoLinks({ client: EXAMPLE_CLIENT, bucket: 'examplebucket' });
    await expect(links.linkFor('photos/a.jpg', 0)).rejects.toThrow(RangeError);
    await expect(links.linkFor('photos/a.jpg', 8 * 24 * 3600)).rejects.toThrow(/1 to 604800 seconds/);
  });
});
