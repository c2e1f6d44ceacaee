/** One photo to put into S3; the key is derived from these by `photoKey`. */
export interface PhotoUpload {
  eventId: string;
  deviceId: string;
  capturedAtMs: number;
  /** The JPEG; photos are small, and a Buffer can be sent again unchanged on retry. */
  body: Buffer;
}

export interface UploadedPhoto {
  /** `photos/{thing}/{yyyy}/{mm}/{dd}/{eventId}.jpg` */
  key: string;
  etag: string | undefined;
}

/** The S3 port: puts one photo and resolves only when the service confirmed it. */
export interface PhotoUploader {
  upload(photo: PhotoUpload, signal?: AbortSignal): Promise<UploadedPhoto>;
}

/**
 * - `transient`: waiting may fix it (network down, 5xx, throttling, expired credentials).
 * - `permanent`: only a configuration or permission change fixes it (AccessDenied, NoSuchBucket,
 *   wrong region, rejected certificate). Still retried, with backoff, so fixing the cloud side
 *   is enough — but logged as an error with what to fix.
 */
export type UploadFailureKind = 'transient' | 'permanent';

/** A photo could not be uploaded; `hint` says what to check. */
export class PhotoUploadError extends Error {
  override readonly name = 'PhotoUploadError';
  readonly kind: UploadFailureKind;
  /** S3 error code (AccessDenied, NoSuchBucket…), Node error code (ECONNREFUSED…) or the error's name. */
  readonly code: string;
  readonly status: number | undefined;
  readonly hint: string;

  constructor(
    message: string,
    details: { kind: UploadFailureKind; code: string; status?: number; hint: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.kind = details.kind;
    this.code = details.code;
    this.status = details.status;
    this.hint = details.hint;
  }
}

/** The uploader's options make no sense (no credentials, both kinds of credentials, no bucket). */
export class UploadConfigError extends Error {
  override readonly name = 'UploadConfigError';
}
