import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ErrorSink, ErrorSinkWriteError } from './error-sink.js';

/**
 * The lake bucket as an ErrorSink: one PutObject per file (the SDK retries throttling and
 * transient errors itself). The client is created once per container by the handler.
 */
export function createS3ErrorSink(client: S3Client, bucket: string): ErrorSink {
  const target = `s3://${bucket}`;
  return {
    target,
    async write(key, body) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/x-ndjson; charset=utf-8',
          }),
        );
      } catch (error) {
        throw new ErrorSinkWriteError(target, key, { cause: error });
      }
    },
  };
}
