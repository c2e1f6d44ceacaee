import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** An import file opened for reading. */
export interface OpenedImport {
  body: Readable;
  /** From Content-Length; undefined when the server did not say. */
  sizeBytes: number | undefined;
}

/** The bucket as the CSV import Lambda sees it: read a CSV as a stream, write a report. */
export interface ImportObjectStore {
  /** null when the object is gone (deleted after the event was sent). */
  open(bucket: string, key: string): Promise<OpenedImport | null>;
  putJson(bucket: string, key: string, json: string): Promise<void>;
}

/** S3 did not answer as it should: the invocation should be retried. */
export class ImportStoreUnavailableError extends Error {
  override readonly name = 'ImportStoreUnavailableError';
}

/**
 * The import bucket adapter: the only import module that talks to S3. The object body is handed
 * over as the SDK's Node stream, never buffered, so a file of any size fits in a small Lambda.
 */
export function createS3ImportStore(client: S3Client): ImportObjectStore {
  return {
    async open(bucket, key) {
      try {
        const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!(output.Body instanceof Readable)) {
          throw new ImportStoreUnavailableError(
            `S3 GetObject s3://${bucket}/${key} gave no Node stream body (got ${typeof output.Body})`,
          );
        }
        return { body: output.Body, sizeBytes: output.ContentLength };
      } catch (error) {
        if (error instanceof ImportStoreUnavailableError) throw error;
        if ((error as { name?: string }).name === 'NoSuchKey') return null;
        throw unavailable('GetObject', bucket, key, error);
      }
    },

    async putJson(bucket, key, json) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: json,
            ContentType: 'application/json; charset=utf-8',
          }),
        );
      } catch (error) {
        throw unavailable('PutObject', bucket, key, error);
      }
    },
  };
}

function unavailable(
  operation: string,
  bucket: string,
  key: string,
  error: unknown,
): ImportStoreUnavailableError {
  const e = (error ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const hint =
    e.name === 'AccessDenied' || status === 403
      ? `: the function's role needs s3:${operation} on the bucket's imports/ prefix`
      : '';
  return new ImportStoreUnavailableError(
    `S3 ${operation} s3://${bucket}/${key} failed: ${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}${hint}`,
    { cause: error },
  );
}
