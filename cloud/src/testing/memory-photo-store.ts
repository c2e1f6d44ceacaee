import type { PhotoStore, StoredPhotoInfo } from '../photos/photo-store.js';
import { PhotoStoreUnavailableError } from '../photos/photo-store.js';

interface StoredObject {
  body: Uint8Array;
  contentType: string | null;
  metadata: Record<string, string>;
}

/** An in-memory photo bucket with S3's semantics for the calls the pipeline makes. */
export class MemoryPhotoStore implements PhotoStore {
  private readonly objects = new Map<string, StoredObject>();
  readonly deletes: string[] = [];
  /** When set, every call fails as if S3 were unreachable. */
  unavailable = false;

  put(bucket: string, key: string, body: Uint8Array, metadata: Record<string, string> = {}): void {
    this.objects.set(`${bucket}/${key}`, { body, contentType: 'image/jpeg', metadata });
  }

  has(bucket: string, key: string): boolean {
    return this.objects.has(`${bucket}/${key}`);
  }

  async head(bucket: string, key: string): Promise<StoredPhotoInfo | null> {
    this.check(bucket, key);
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) return null;
    return { sizeBytes: object.body.byteLength, contentType: object.contentType, metadata: object.metadata };
  }

  async readStart(bucket: string, key: string, length: number): Promise<Uint8Array | null> {
    this.check(bucket, key);
    return this.objects.get(`${bucket}/${key}`)?.body.subarray(0, length) ?? null;
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.check(bucket, key);
    // Like S3: deleting a missing key succeeds.
    this.objects.delete(`${bucket}/${key}`);
    this.deletes.push(key);
  }

  private check(bucket: string, key: string): void {
    if (this.unavailable) throw new PhotoStoreUnavailableError(`cannot reach bucket ${bucket} for ${key}`);
  }
}
