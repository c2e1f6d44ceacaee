import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import type { PhotoLinks } from './photo-links.js';

/** S3 takes presigned URLs for at most a week. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const SHA256_HEADER = 'x-amz-content-sha256';

export interface S3PhotoLinksOptions {
  /** Region, credentials and hash come from this client's configuration (the function's role). */
  client: S3Client;
  bucket: string;
  /** Virtual-hosted, regional: `{bucket}.s3.{region}.amazonaws.com` unless given. */
  hostname?: string;
  /** The signing time; tests pin it. */
  now?: () => Date;
}

/** RFC 3986 escaping as SigV4 wants it: encodeURIComponent leaves !'()* alone. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Presigned S3 GetObject URLs (SigV4 query-string authentication), signed locally with the
 * function's credentials: no call to S3. The link carries the role's rights to that one object for
 * the time given, so the role needs s3:GetObject on photos/* only.
 *
 * Signed with @smithy/signature-v4 the way @aws-sdk/s3-request-presigner does (which this
 * workspace does not ship): the payload is UNSIGNED-PAYLOAD and only `host` is a signed header, so
 * a browser following the link needs no special headers.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
export function createS3PhotoLinks(options: S3PhotoLinksOptions): PhotoLinks {
  const { client, bucket } = options;
  const now = options.now ?? (() => new Date());
  const signer = new SignatureV4({
    service: 's3',
    region: () => client.config.region(),
    credentials: () => client.config.credentials(),
    sha256: client.config.sha256,
    // S3 signs the path as sent (each segment escaped once), unlike every other service.
    uriEscapePath: false,
  });
  return {
    async linkFor(photoKey, expiresInSeconds) {
      if (
        !Number.isInteger(expiresInSeconds) ||
        expiresInSeconds < 1 ||
        expiresInSeconds > MAX_EXPIRES_SECONDS
      ) {
        throw new RangeError(
          `a presigned URL lives 1 to ${MAX_EXPIRES_SECONDS} seconds, got ${expiresInSeconds}`,
        );
      }
      const hostname = options.hostname ?? `${bucket}.s3.${await client.config.region()}.amazonaws.com`;
      const path = `/${photoKey.split('/').map(escapeUri).join('/')}`;
      const signed = await signer.presign(
        {
          method: 'GET',
          protocol: 'https:',
          hostname,
          path,
          query: {},
          headers: { host: hostname, [SHA256_HEADER]: UNSIGNED_PAYLOAD },
        },
        {
          expiresIn: expiresInSeconds,
          signingDate: now(),
          // The payload hash is only for the canonical request: neither hoisted into the query nor
          // signed as a header the browser would have to send.
          unsignableHeaders: new Set([SHA256_HEADER]),
          unhoistableHeaders: new Set([SHA256_HEADER]),
        },
      );
      const query = Object.entries(signed.query ?? {})
        .flatMap(([name, value]) =>
          (Array.isArray(value) ? value : [value]).map(
            (item) => `${escapeUri(name)}=${escapeUri(item ?? '')}`,
          ),
        )
        .join('&');
      return `https://${hostname}${path}?${query}`;
    },
  };
}
