import { createHash, createHmac } from 'node:crypto';
import { type CanonicalInput, canonicalRequest } from './canonical-request.js';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials' token: sent and signed as x-amz-security-token. */
  sessionToken?: string;
}

export interface SignInput extends Omit<CanonicalInput, 'payloadHash'> {
  /** The body; its SHA-256 is signed (no UNSIGNED-PAYLOAD) so S3 checks it too. */
  body: Buffer;
  region: string;
  service: string;
  credentials: SigningCredentials;
  date: Date;
}

export interface Signed {
  /** The headers to send: the input's plus x-amz-date, x-amz-content-sha256, the token and authorization. */
  headers: Record<string, string>;
  /** For diagnosis and tests. */
  canonicalRequest: string;
  stringToSign: string;
}

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** `20261126T235959Z` and `20261126`. */
export function amzDate(date: Date): { long: string; short: string } {
  const long = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return { long, short: long.slice(0, 8) };
}

/**
 * The signing key changes once a day per secret: keep the last one instead of four HMACs per
 * upload. One entry is enough for a device with one set of credentials at a time.
 */
let cachedKey: { id: string; key: Buffer } | undefined;

function signingKey(secret: string, shortDate: string, region: string, service: string): Buffer {
  const id = `${shortDate}\n${region}\n${service}\n${sha256Hex(secret)}`;
  if (cachedKey?.id === id) return cachedKey.key;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, shortDate), region), service), 'aws4_request');
  cachedKey = { id, key };
  return key;
}

/** Signs a request with AWS Signature Version 4 in the Authorization header. */
export function signRequest(input: SignInput): Signed {
  const { long, short } = amzDate(input.date);
  const payloadHash = sha256Hex(input.body);
  const headers: Record<string, string> = {
    ...input.headers,
    'x-amz-date': long,
    'x-amz-content-sha256': payloadHash,
  };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const canonical = canonicalRequest({ ...input, headers, payloadHash });
  const scope = `${short}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, long, scope, sha256Hex(canonical.text)].join('\n');
  const key = signingKey(input.credentials.secretAccessKey, short, input.region, input.service);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.authorization =
    `${SIGV4_ALGORITHM} Credential=${input.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${canonical.signedHeaders}, Signature=${signature}`;
  return { headers, canonicalRequest: canonical.text, stringToSign };
}
