/** What the pipeline needs to know about a stored photo before it is analysed. */
export interface StoredPhotoInfo {
  sizeBytes: number;
  contentType: string | null;
  /** Object metadata (x-amz-meta-*), keys lower-case without the prefix. */
  metadata: Readonly<Record<string, string>>;
}

/**
 * The photo bucket port (S3 in AWS, s3rver locally). Only its S3 adapter imports the SDK.
 * `head` answers null when the object does not exist (any more); other failures throw
 * PhotoStoreUnavailableError so the event is retried.
 */
export interface PhotoStore {
  head(bucket: string, key: string): Promise<StoredPhotoInfo | null>;
  /** The first `length` bytes (fewer if the object is shorter); null when the object is gone. */
  readStart(bucket: string, key: string, length: number): Promise<Uint8Array | null>;
  delete(bucket: string, key: string): Promise<void>;
}

export class PhotoStoreUnavailableError extends Error {
  override readonly name = 'PhotoStoreUnavailableError';
}
