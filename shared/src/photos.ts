import { THING_NAME_PATTERN } from './topics.js';

/** S3 object metadata keys on every photo (sent as x-amz-meta-*). */
export const PHOTO_METADATA = {
  deviceId: 'device-id',
  eventId: 'event-id',
  capturedAt: 'captured-at',
} as const;

export const PHOTO_KEY_PREFIX = 'photos';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PHOTO_KEY = /^photos\/([a-zA-Z0-9:_-]{1,128})\/(\d{4})\/(\d{2})\/(\d{2})\/([0-9a-f-]{36})\.jpg$/;

export class PhotoKeyError extends Error {
  override readonly name = 'PhotoKeyError';
  constructor(
    message: string,
    /**
     * What is wrong without quoting the key, for a log line that keeps the key in a field of its
     * own: a logger may redact that field, and a reason must not print what it hides.
     */
    readonly problem: string = message,
  ) {
    super(message);
  }
}

export interface PhotoKeyParts {
  thingName: string;
  /** UTC date the photo was captured, yyyy-mm-dd. */
  capturedOn: string;
  eventId: string;
}

/**
 * `photos/{thing}/{yyyy}/{mm}/{dd}/{eventId}.jpg`, dated in UTC so every device and the cloud
 * agree on the day a photo belongs to.
 */
export function photoKey(thingName: string, capturedAt: Date, eventId: string): string {
  if (!THING_NAME_PATTERN.test(thingName))
    throw new PhotoKeyError(`thing name "${thingName}" must match ${THING_NAME_PATTERN}`);
  if (!UUID.test(eventId)) throw new PhotoKeyError(`event id "${eventId}" must be a lowercase UUID`);
  if (Number.isNaN(capturedAt.getTime())) throw new PhotoKeyError('capture time is not a valid date');
  const [date] = capturedAt.toISOString().split('T');
  const [yyyy, mm, dd] = (date as string).split('-');
  return `${PHOTO_KEY_PREFIX}/${thingName}/${yyyy}/${mm}/${dd}/${eventId}.jpg`;
}

/** Parses a photo key (already URL-decoded); throws PhotoKeyError naming what does not fit. */
export function parsePhotoKey(key: string): PhotoKeyParts {
  const match = PHOTO_KEY.exec(key);
  const shape = 'photos/{thing}/{yyyy}/{mm}/{dd}/{eventId}.jpg';
  if (!match) throw new PhotoKeyError(`"${key}" is not ${shape}`, `key is not ${shape}`);
  const [, thingName, yyyy, mm, dd, eventId] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!UUID.test(eventId)) {
    throw new PhotoKeyError(
      `"${key}" has an invalid event id`,
      'key has an invalid event id (not a lowercase UUID)',
    );
  }
  return { thingName, capturedOn: `${yyyy}-${mm}-${dd}`, eventId };
}
