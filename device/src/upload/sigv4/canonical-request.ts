/**
 * The canonical request of AWS Signature Version 4, as S3 computes it: the method, the URI path
 * encoded once (S3 does not double-encode), the sorted query, the headers in lower case sorted
 * by name with their values trimmed and inner whitespace collapsed, the signed header names and
 * the payload hash, one per line.
 */

const HEX = '0123456789ABCDEF';

/** RFC 3986 unreserved characters pass; every other UTF-8 byte becomes %XX (upper-case hex). */
export function uriEncode(value: string, encodeSlash = true): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const unreserved =
      (byte >= 0x41 && byte <= 0x5a) || // A-Z
      (byte >= 0x61 && byte <= 0x7a) || // a-z
      (byte >= 0x30 && byte <= 0x39) || // 0-9
      byte === 0x2d || // -
      byte === 0x2e || // .
      byte === 0x5f || // _
      byte === 0x7e; // ~
    if (unreserved || (byte === 0x2f && !encodeSlash)) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** `/bucket/key` or `/key` with each segment encoded and the slashes between them kept. */
export function encodePath(rawPath: string): string {
  return uriEncode(rawPath, false);
}

export interface CanonicalInput {
  method: string;
  /** The request path exactly as sent, already encoded (encodePath). */
  encodedPath: string;
  /** Query parameters, not yet encoded. */
  query?: Record<string, string>;
  /** Every header to sign (names in any case; host included). */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body. */
  payloadHash: string;
}

export interface CanonicalRequest {
  text: string;
  /** `content-md5;host;x-amz-date…`: the SignedHeaders of the Authorization header. */
  signedHeaders: string;
}

export function canonicalRequest(input: CanonicalInput): CanonicalRequest {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(input.headers)) {
    headers.set(name.toLowerCase(), value.trim().replace(/\s+/g, ' '));
  }
  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(';');
  const query = Object.entries(input.query ?? {})
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const text = [
    input.method,
    input.encodedPath,
    query,
    ...names.map((name) => `${name}:${headers.get(name)}`),
    '',
    signedHeaders,
    input.payloadHash,
  ].join('\n');
  return { text, signedHeaders };
}
