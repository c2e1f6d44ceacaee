import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { type PhotoStore, PhotoStoreUnavailableError, type StoredPhotoInfo } from './photo-store.js';

export interface S3ClientOptions {
  /** Unset in Lambda: the SDK reads AWS_REGION. */
  region?: string;
  /** An S3-compatible endpoint (the local stack's s3rver). Unset = AWS. */
  endpoint?: string;
  /** Unset in Lambda: the function's role. */
  credentials?: S3ClientConfig['credentials'];
}

/**
 * The S3 client for the photo store, created once per container. With an `endpoint` it gets the
 * options s3rver needs: path-style URLs, and only the checksums an operation requires, since
 * s3rver stores a flexible checksum's aws-chunked framing as part of the object (DESIGN.md).
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const { region, endpoint, credentials } = options;
  if (endpoint === undefined) {
    return new S3Client({ ...(region ? { region } : {}), ...(credentials ? { credentials } : {}) });
  }
  return new S3Client({
    // s3rver ignores the region, but signing needs one.
    region: region ?? 'us-east-1',
    endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(credentials ? { credentials } : {}),
  });
}

/** What an SDK v3 service or transport error looks like, as far as we read it. */
interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The photo bucket adapter (the only module that imports the S3 SDK for the cloud side).
 * "Gone" answers null; anything else throws PhotoStoreUnavailableError so the event is retried.
 */
export function createS3PhotoStore(client: S3Client): PhotoStore {
  return {
    async head(bucket, key): Promise<StoredPhotoInfo | null> {
      let output: HeadObjectCommandOutput;
      try {
        output = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (isGone(error)) return null;
        throw unavailable('HeadObject', bucket, key, error);
      }
      // S3 always sends Content-Length on a HEAD; without it the size would be made up.
      if (output.ContentLength === undefined) {
        throw new PhotoStoreUnavailableError(`S3 HeadObject ${target(bucket, key)} answered without a size`);
      }
      return {
        sizeBytes: output.ContentLength,
        contentType: output.ContentType ?? null,
        metadata: lowerCaseKeys(output.Metadata ?? {}),
      };
    },

    async readStart(bucket, key, length): Promise<Uint8Array | null> {
      if (!Number.isInteger(length) || length < 1) {
        throw new RangeError(`readStart length must be a positive integer, got ${length}`);
      }
      try {
        const output = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${length - 1}` }),
        );
        if (output.ContentRange?.endsWith('/0')) {
          // The object is empty. S3 says so with 416 (below); s3rver instead answers 206 promising
          // one byte it never sends, so reading the body would stall until the socket gives up.
          discard(output.Body);
          return new Uint8Array();
        }
        const bytes = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
        // A server that ignores Range sends the whole object: keep only what was asked for.
        return bytes.length > length ? bytes.subarray(0, length) : bytes;
      } catch (error) {
        if (isGone(error)) return null;
        // S3 answers 416 to any range of a 0-byte object: it exists, it has no bytes.
        if (errorName(error) === 'InvalidRange') return new Uint8Array();
        throw unavailable('GetObject', bucket, key, error);
      }
    },

    async delete(bucket, key): Promise<void> {
      try {
        // S3 answers 204 for a key that is already gone, so deleting twice is fine.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw unavailable('DeleteObject', bucket, key, error);
      }
    },
  };
}

/**
 * The object is not there. HeadObject has no body, so the SDK names a 404 `NotFound`; GetObject
 * says `NoSuchKey`. A HEAD on a missing bucket is also a bare 404: the bucket comes from the S3
 * event, so it existed moments ago. Without s3:ListBucket S3 answers 403 instead of 404 for a
 * missing key, which lands in `unavailable` (retried, then the on-failure destination).
 */
function isGone(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NotFound' || name === 'NoSuchKey';
}

function errorName(error: unknown): string | undefined {
  return (error as SdkLikeError | undefined)?.name;
}

function unavailable(
  operation: string,
  bucket: string,
  key: string,
  error: unknown,
): PhotoStoreUnavailableError {
  const e = (error ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  // Network failures carry their reason in `code` (ECONNREFUSED, ETIMEDOUT, …).
  const code = e.name === 'Error' && e.code ? e.code : (e.name ?? 'Error');
  const hint =
    code === 'AccessDenied' || status === 403
      ? `: the function's role needs s3:${operation === 'DeleteObject' ? 'DeleteObject' : 'GetObject'} on the photo bucket (and s3:ListBucket, or missing keys answer 403)`
      : '';
  return new PhotoStoreUnavailableError(
    `S3 ${operation} ${target(bucket, key)} failed: ${code}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}${hint}`,
    { cause: error },
  );
}

/** Drops an unread response body so its socket is not left waiting. */
function discard(body: unknown): void {
  const stream = body as { destroy?: () => void } | undefined;
  stream?.destroy?.();
}

function target(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

function lowerCaseKeys(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name.toLowerCase(), value]));
}
