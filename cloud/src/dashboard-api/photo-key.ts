const PHOTO_KEY_PREFIX = 'photos/';
/** S3's limit on a key, in UTF-8 bytes. */
const PHOTO_KEY_MAX_BYTES = 1024;

/** The request named no usable photo key; the message lists every problem (a 400, not a 500). */
export class InvalidPhotoKeyError extends Error {
  override readonly name = 'InvalidPhotoKeyError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid photo key: ${problems.join('; ')}`);
  }
}

/**
 * The S3 key of a photo from the rest of `/api/photos/…`, still percent-encoded. Only keys under
 * `photos/` are served, so this endpoint can never hand out a link to anything else in the bucket
 * (the lake, exports). The same rules as the local dashboard's (local/src/dashboard/api-params.ts).
 */
export function parsePhotoKey(encoded: string): string {
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    throw new InvalidPhotoKeyError([`malformed percent-encoding in "${encoded.slice(0, 200)}"`]);
  }
  const problems: string[] = [];
  if (!key.startsWith(PHOTO_KEY_PREFIX)) problems.push(`must start with "${PHOTO_KEY_PREFIX}"`);
  if (key.split('/').includes('..')) problems.push('must not contain ".." segments');
  if (key.includes('\0')) problems.push('must not contain NUL');
  const bytes = Buffer.byteLength(key);
  if (bytes > PHOTO_KEY_MAX_BYTES) problems.push(`is ${bytes} bytes, at most ${PHOTO_KEY_MAX_BYTES} allowed`);
  if (problems.length > 0) throw new InvalidPhotoKeyError(problems);
  return key;
}

/** The API path of a photo, each key segment percent-encoded (the inverse of parsePhotoKey). */
export function photoPath(photoKey: string): string {
  return `/api/photos/${photoKey.split('/').map(encodeURIComponent).join('/')}`;
}
