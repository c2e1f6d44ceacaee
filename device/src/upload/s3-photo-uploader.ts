import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { PHOTO_METADATA, photoKey } from '@coffee-iot/shared';
import type { TemporaryAwsCredentials } from '../credentials/credential-response.js';
import type { Logger } from '../ports/logger.js';
import { classifyS3Error, EXPIRED_CREDENTIAL_CODES } from './s3-errors.js';
import { type PutObjectInput, preparePutObject, type S3Location, sendPutObject } from './s3-put-object.js';
import type { SigningCredentials } from './sigv4/sign.js';
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
 * The S3 adapter: one PutObject per photo to `photos/{thing}/{yyyy}/{mm}/{dd}/{eventId}.jpg` with
 * its metadata and a Content-MD5 computed here, so S3 rejects bytes altered in transit
 * (BadDigest) instead of storing them. Signed and sent by s3-put-object.ts rather than the S3 SDK,
 * whose import alone costs the agent about 11 MB of resident memory.
 */
export class S3PhotoUploader implements PhotoUploader {
  private readonly location: S3Location;
  /** Keep-alive: one photo a minute reuses the connection instead of a TLS handshake each time. */
  private readonly agent: HttpAgent;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: S3PhotoUploaderOptions) {
    const problems: string[] = [];
    if (!options.bucket) problems.push('bucket is required');
    if (!options.region) problems.push('region is required');
    if (!options.credentials === !options.devStaticCredentials) {
      problems.push(
        'set exactly one of credentials (IoT credential provider) and devStaticCredentials (local stack)',
      );
    }
    let endpoint: URL | undefined;
    if (options.endpoint) {
      try {
        endpoint = new URL(options.endpoint);
        if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        problems.push(`endpoint "${options.endpoint}" is not an http:// or https:// URL`);
      }
    }
    if (problems.length > 0) throw new UploadConfigError(`S3 uploader: ${problems.join('; ')}`);
    this.location = {
      bucket: options.bucket,
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    };
    this.agent =
      endpoint?.protocol === 'http:'
        ? new HttpAgent({ keepAlive: true })
        : new HttpsAgent({ keepAlive: true });
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    options.logger.debug(
      {
        bucket: options.bucket,
        region: options.region,
        endpoint: options.endpoint ?? 'AWS',
        credentials: options.credentials ? 'iot-credential-provider' : 'dev-static',
      },
      'S3 photo uploader configured',
    );
  }

  async upload(photo: PhotoUpload, signal?: AbortSignal): Promise<UploadedPhoto> {
    const capturedAt = new Date(photo.capturedAtMs);
    const key = photoKey(photo.deviceId, capturedAt, photo.eventId);
    const { etag } = await this.put(
      {
        key,
        body: photo.body,
        contentType: 'image/jpeg',
        contentMd5: md5(photo.body),
        metadata: {
          [PHOTO_METADATA.deviceId]: photo.deviceId,
          [PHOTO_METADATA.eventId]: photo.eventId,
          [PHOTO_METADATA.capturedAt]: capturedAt.toISOString(),
        },
      },
      signal,
    );
    return { key, etag };
  }

  /**
   * Any other object under the device's prefixes (a log upload: `logs/{thing}/…`), with the same
   * Content-MD5 check, credentials and error classification as photos.
   */
  putObject(
    object: { key: string; body: Buffer; contentType: string },
    signal?: AbortSignal,
  ): Promise<{ etag: string | undefined }> {
    return this.put({ ...object, contentMd5: md5(object.body) }, signal);
  }

  /** Closes the kept-alive sockets. */
  destroy(): void {
    this.agent.destroy();
  }

  private async put(input: PutObjectInput, signal?: AbortSignal): Promise<{ etag: string | undefined }> {
    try {
      const credentials = await this.signingCredentials();
      const prepared = preparePutObject(this.location, input, credentials, new Date());
      return await sendPutObject(prepared, input.body, {
        agent: this.agent,
        connectTimeoutMs: this.connectTimeoutMs,
        requestTimeoutMs: this.requestTimeoutMs,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      const failure = classifyS3Error(error, {
        bucket: this.location.bucket,
        region: this.location.region,
        key: input.key,
      });
      if (EXPIRED_CREDENTIAL_CODES.has(failure.code)) this.options.credentials?.invalidate?.();
      throw failure;
    }
  }

  private async signingCredentials(): Promise<SigningCredentials> {
    if (this.options.devStaticCredentials) return this.options.devStaticCredentials;
    // The constructor guarantees one of the two.
    const { accessKeyId, secretAccessKey, sessionToken } = await (
      this.options.credentials as CredentialSource
    ).provide();
    return { accessKeyId, secretAccessKey, sessionToken };
  }
}

function md5(body: Buffer): string {
  return createHash('md5').update(body).digest('base64');
}
