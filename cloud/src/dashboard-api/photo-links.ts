/**
 * The port that turns a photo key into a short-lived link the browser can load. In AWS an S3
 * presigned GetObject URL (s3-photo-links.ts); tests inject a fake.
 */
export interface PhotoLinks {
  /** A URL that serves the object for `expiresInSeconds`. Never touches the network. */
  linkFor(photoKey: string, expiresInSeconds: number): Promise<string>;
}
