import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  type PutObjectInput,
  preparePutObject,
  type S3Location,
} from '../../../device/src/upload/s3-put-object.js';

/**
 * The device signs its S3 PUTs itself (device/src/upload/sigv4). Here the same requests are
 * signed by the AWS SDK's own signer, configured as the S3 client configures it (no double path
 * encoding, signed payload), and both canonical requests and Authorization headers must agree
 * byte for byte.
 */

/** The SDK's hash interface over node:crypto, as @smithy/hash-node does it. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Records the canonical request the SDK's signer hashes. */
class RecordingSignatureV4 extends SignatureV4 {
  canonical = '';
  protected override async createStringToSign(
    longDate: string,
    credentialScope: string,
    canonicalRequest: string,
    algorithmIdentifier: string,
  ): Promise<string> {
    this.canonical = canonicalRequest;
    return super.createStringToSign(longDate, credentialScope, canonicalRequest, algorithmIdentifier);
  }
}

/** How the SDK's S3 serializer writes a key into the path: encodeURIComponent per segment, plus !'()*. */
function sdkKeyPath(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

const STATIC = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const TEMPORARY = {
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'c2VjcmV0/with+slash=',
  sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJGMEQCIF+token=',
};
const DATE = new Date('2026-11-26T23:59:59.500Z');

interface Case {
  name: string;
  location: S3Location;
  input: PutObjectInput;
  credentials: typeof STATIC | typeof TEMPORARY;
  /** What the SDK would put in the Host header and before the key in the path. */
  host: string;
  prefix: string;
}

const photo = (key: string, body: Buffer, metadata?: Record<string, string>): PutObjectInput => ({
  key,
  body,
  contentType: 'image/jpeg',
  contentMd5: createHash('md5').update(body).digest('base64'),
  ...(metadata ? { metadata } : {}),
});
const JPEG = Buffer.from('ffd8ffe000104a46494600ffd9', 'hex');
const AWS = (bucket: string): S3Location => ({ bucket, region: 'eu-west-1', forcePathStyle: false });
const METADATA = {
  'device-id': 'coffee-pi-1',
  'event-id': '0b6f2c1e-4d1a-4b7e-9a51-7c3f1b2e8d90',
  'captured-at': '2026-11-26T23:59:59.500Z',
};

const CASES: Case[] = [
  {
    name: 'a photo on AWS, virtual-hosted, temporary credentials and metadata',
    location: AWS('coffee-photos'),
    input: photo('photos/coffee-pi-1/2026/11/26/0b6f2c1e.jpg', JPEG, METADATA),
    credentials: TEMPORARY,
    host: 'coffee-photos.s3.eu-west-1.amazonaws.com',
    prefix: '',
  },
  {
    name: 'a key with spaces, unicode, ~ + = and other reserved characters',
    location: AWS('coffee-photos'),
    input: photo("logs/pi 1/café ☕/a~b+c=d&e$f@g:h,i;j!k'l(m)n*o%p#q?r.jpg", JPEG),
    credentials: TEMPORARY,
    host: 'coffee-photos.s3.eu-west-1.amazonaws.com',
    prefix: '',
  },
  {
    name: 'a bucket with dots goes path style on AWS',
    location: AWS('coffee.photos.example'),
    input: photo('photos/a b/x.jpg', JPEG, METADATA),
    credentials: TEMPORARY,
    host: 's3.eu-west-1.amazonaws.com',
    prefix: '/coffee.photos.example',
  },
  {
    name: 'an S3-compatible endpoint, path style, static keys, port in the host',
    location: {
      bucket: 'coffee-photos',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4568',
      forcePathStyle: true,
    },
    input: photo('photos/coffee-pi-1/2026/11/26/ü ~+=.jpg', JPEG, METADATA),
    credentials: STATIC,
    host: '127.0.0.1:4568',
    prefix: '/coffee-photos',
  },
  {
    name: 'an empty body',
    location: AWS('coffee-photos'),
    input: {
      key: 'logs/empty.txt',
      body: Buffer.alloc(0),
      contentType: 'text/plain',
      contentMd5: '1B2M2Y8AsgTpgAmY7PhCfg==',
    },
    credentials: STATIC,
    host: 'coffee-photos.s3.eu-west-1.amazonaws.com',
    prefix: '',
  },
  {
    name: 'metadata values with inner and outer whitespace',
    location: AWS('coffee-photos'),
    input: photo('photos/x.jpg', JPEG, { note: '  two  spaces\tand a tab ' }),
    credentials: TEMPORARY,
    host: 'coffee-photos.s3.eu-west-1.amazonaws.com',
    prefix: '',
  },
];

describe('our SigV4 against the AWS SDK signer', () => {
  it.each(CASES)('$name', async ({ location, input, credentials, host, prefix }) => {
    const ours = preparePutObject(location, input, credentials, DATE);

    const sdk = new RecordingSignatureV4({
      service: 's3',
      region: location.region,
      credentials,
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: true,
    });
    const headers: Record<string, string> = {
      host,
      'content-type': input.contentType,
      'content-length': String(input.body.length),
      'content-md5': input.contentMd5,
    };
    for (const [name, value] of Object.entries(input.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
    const path = `${prefix}/${sdkKeyPath(input.key)}`;
    const signed = await sdk.sign(
      {
        method: 'PUT',
        protocol: ours.protocol,
        hostname: host.split(':')[0] ?? host,
        path,
        query: {},
        headers,
        body: input.body,
      },
      { signingDate: DATE },
    );

    expect(ours.path).toBe(path);
    expect(ours.headers.host).toBe(host);
    expect(ours.canonicalRequest).toBe(sdk.canonical);
    expect(ours.headers.authorization).toBe(signed.headers.authorization);
    expect(ours.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(input.body).digest('hex'));
    expect(ours.headers['x-amz-security-token']).toBe(
      'sessionToken' in credentials ? credentials.sessionToken : undefined,
    );
  });
});
