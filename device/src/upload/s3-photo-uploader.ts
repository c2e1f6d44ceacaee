import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PHOTO_METADATA, photoKey } from '@coffee-iot/shared';
import type { TemporaryAwsCredentials } from '../credentials/credential-response.js';
import type { Logger } from '../ports/logger.js';
import { classifyS3Error, EXPIRED_CREDENTIAL_CODES } from './s3-errors.js';
import {
  type PhotoUpload,
  type PhotoUploader,
  UploadConfigError,
  type UploadedPhoto,
} from './uploader-port.js';

/** Where temporary credentials come from: the IoT credential provider in production. */
export interface CredentialSource {
  provide(): Promise<TemporaryAwsCredentials>;
  /** Called when S3 refuses the credentials as expired. */
  invalidate?(): void;
}

export interface S3PhotoUploaderOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (the local stack's s3rver: `http://127.0.0.1:4568`). Unset = AWS. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true when `endpoint` is set, else false. */
  forcePathStyle?: boolean;
  /** Production: temporary credentials from the AWS IoT credential provider. */
  credentials?: CredentialSource;
  /**
   * Local stack only: a fixed key pair the embedded S3 stand-in accepts (s3rver: S3RVER/S3RVER).
   * A device never holds static AWS keys; set exactly one of `credentials` and this.
   */
  devStaticCredentials?: { accessKeyId: string; secretAccessKey: string };
  /** Time limit for one PUT, ms. Default 30 s. */
  requestTimeoutMs?: number;
  /** Time limit for the TCP/TLS connect, ms. Default 10 s. */
  connectTimeoutMs?: number;
  logger: Logger;
}

/**
 * The S3 adapter (the only module that imports the S3 SDK): one PutObject per photo to
 * `photos/{thing}/{yyyy}/{mm}/{dd}/{eventId}.jpg` with its metadata and a Content-MD5 computed
 * here, so S3 rejects bytes altered in transit (BadDigest) instead of storing them.
 */
export class S3PhotoUploader implements PhotoUploader {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly region: string;

  constructor(private readonly options: S3PhotoUploaderOptions) {
    const problems: string[] = [];
    if (!options.bucket) problems.push('bucket is required');
    if (!options.region) problems.push('region is required');
    if (!options.credentials === !options.devStaticCredentials) {
      problems.push(
        'set exactly one of credentials (IoT credential provider) and devStaticCredentials (local stack)',
      );
    }
    if (problems.length > 0) throw new UploadConfigError(`S3 uploader: ${problems.join('; ')}`);
    this.bucket = options.bucket;
    this.region = options.region;
    const credentials = options.credentials;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      credentials: credentials ? () => credentials.provide() : options.devStaticCredentials,
      // Only the checksums an operation requires: PutObject then carries our Content-MD5 and no
      // flexible checksum, whose streaming trailer (aws-chunked) S3-compatible servers such as
      // s3rver store as part of the object (DESIGN.md, platform facts).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The upload worker owns retries and their backoff; SDK retries would only multiply them.
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 10_000,
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        throwOnRequestTimeout: true,
      },
    });
    options.logger.debug(
      {
        bucket: options.bucket,
        region: options.region,
        endpoint: options.endpoint ?? 'AWS',
        credentials: credentials ? 'iot-credential-provider' : 'dev-static',
      },
      'S3 photo uploader configured',
    );
  }

  async upload(photo: PhotoUpload, signal?: AbortSignal): Promise<UploadedPhoto> {
    const capturedAt = new Date(photo.capturedAtMs);
    const key = photoKey(photo.deviceId, capturedAt, photo.eventId);
    const contentMd5 = createHash('md5').update(photo.body).digest('base64');
    try {
      const output = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: photo.body,
          ContentLength: photo.body.length,
          ContentType: 'image/jpeg',
          ContentMD5: contentMd5,
          Metadata: {
            [PHOTO_METADATA.deviceId]: photo.deviceId,
            [PHOTO_METADATA.eventId]: photo.eventId,
            [PHOTO_METADATA.capturedAt]: capturedAt.toISOString(),
          },
        }),
        signal ? { abortSignal: signal } : {},
      );
      return { key, etag: output.ETag };
    } catch (error) {
      const failure = classifyS3Error(error, { bucket: this.bucket, region: this.region, key });
      if (EXPIRED_CREDENTIAL_CODES.has(failure.code)) this.options.credentials?.invalidate?.();
      throw failure;
    }
  }

  /**
   * Any other object under the device's prefixes (a log upload: `logs/{thing}/…`), with the same
   * Content-MD5 check, credentials and error classification as photos.
   */
  async putObject(
    object: { key: string; body: Buffer; contentType: string },
    signal?: AbortSignal,
  ): Promise<{ etag: string | undefined }> {
    const contentMd5 = createHash('md5').update(object.body).digest('base64');
    try {
      const output = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: object.key,
          Body: object.body,
          ContentLength: object.body.length,
          ContentType: object.contentType,
          ContentMD5: contentMd5,
        }),
        signal ? { abortSignal: signal } : {},
      );
      return { etag: output.ETag };
    } catch (error) {
      const failure = classifyS3Error(error, { bucket: this.bucket, region: this.region, key: object.key });
      if (EXPIRED_CREDENTIAL_CODES.has(failure.code)) this.options.credentials?.invalidate?.();
      throw failure;
    }
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}
