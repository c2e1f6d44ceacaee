import { badRequest } from './http-errors.js';
import { decodePathPart } from './request-path.js';

const PHOTO_KEY_PREFIX = 'photos/';
const PHOTO_KEY_MAX_BYTES = 1024;
/** AWS IoT thing names, which is what device ids are. */
const DEVICE_ID_PATTERN = /^[a-zA-Z0-9:_-]{1,128}$/;

/**
 * The S3 key of a photo from the rest of `/api/photos/...`. Only keys under `photos/` are
 * served, so this endpoint cannot read anything else in the bucket; every problem is reported
 * at once so the client sees the whole story.
 */
export function parsePhotoKey(encoded: string): string {
  const key = decodePathPart(encoded, 'photo key');
  const problems: string[] = [];
  if (!key.startsWith(PHOTO_KEY_PREFIX)) problems.push(`must start with "${PHOTO_KEY_PREFIX}"`);
  if (key.split('/').includes('..')) problems.push('must not contain ".." segments');
  if (key.includes('\0')) problems.push('must not contain NUL');
  const bytes = Buffer.byteLength(key);
  if (bytes > PHOTO_KEY_MAX_BYTES) problems.push(`is ${bytes} bytes, at most ${PHOTO_KEY_MAX_BYTES} allowed`);
  if (problems.length > 0) throw badRequest(`invalid photo key: ${problems.join('; ')}`);
  return key;
}

export function parseDeviceId(encoded: string): string {
  const deviceId = decodePathPart(encoded, 'device id');
  if (!DEVICE_ID_PATTERN.test(deviceId)) {
    throw badRequest(
      `invalid device id "${deviceId.slice(0, 140)}": expected 1 to 128 characters of letters, digits, ":", "_" or "-"`,
    );
  }
  return deviceId;
}
