import { describe, expect, it } from 'vitest';
import { objectCreatedRecord } from '../testing/s3-notifications.js';
import { decodeS3Key, parseS3Event } from './s3-event.js';

function s3Record(encodedKey: string, eventName = 'ObjectCreated:Put') {
  return objectCreatedRecord({ bucket: 'coffee-photos', encodedKey, eventName });
}

describe('decodeS3Key', () => {
  it('decodes percent-encoding and + as space, as S3 notifications encode keys', () => {
    expect(decodeS3Key('photos/coffee-pi-01/2026/11/26/a%3Ab.jpg')).toBe(
      'photos/coffee-pi-01/2026/11/26/a:b.jpg',
    );
    expect(decodeS3Key('imports/old+readings%2B1.csv')).toBe('imports/old readings+1.csv');
  });
});

describe('parseS3Event', () => {
  it('returns every created object of a multi-record event, keys decoded', () => {
    const parsed = parseS3Event({
      Records: [
        s3Record('photos/coffee-pi-01/2026/11/26/x.jpg'),
        s3Record('photos/coffee%3Api/2026/11/26/y.jpg', 'ObjectCreated:CompleteMultipartUpload'),
      ],
    });
    expect(parsed.skipped).toEqual([]);
    expect(parsed.objects).toEqual([
      {
        bucket: 'coffee-photos',
        key: 'photos/coffee-pi-01/2026/11/26/x.jpg',
        sizeBytes: 48213,
        eventTime: '2026-11-26T08:15:00.000Z',
      },
      {
        bucket: 'coffee-photos',
        key: 'photos/coffee:pi/2026/11/26/y.jpg',
        sizeBytes: 48213,
        eventTime: '2026-11-26T08:15:00.000Z',
      },
    ]);
  });

  it('skips records that are not ObjectCreated or are malformed, each with a reason', () => {
    const noKey = s3Record('x');
    noKey.s3.object.key = '';
    const parsed = parseS3Event({
      Records: [
        s3Record('photos/a.jpg', 'ObjectRemoved:Delete'),
        noKey,
        s3Record('bad%E0%A4%A.jpg'),
        s3Record('ok.jpg'),
      ],
    });
    expect(parsed.objects.map((o) => o.key)).toEqual(['ok.jpg']);
    expect(parsed.skipped).toEqual([
      { index: 0, reason: 'not an ObjectCreated event (ObjectRemoved:Delete)' },
      { index: 1, reason: 'record names no bucket or object key' },
      { index: 2, reason: 'object key "bad%E0%A4%A.jpg" is not valid URL encoding' },
    ]);
  });

  it('says so when the event has no Records at all', () => {
    expect(parseS3Event({})).toEqual({
      objects: [],
      skipped: [{ index: -1, reason: 'event has no Records array' }],
    });
    expect(parseS3Event(null).skipped).toHaveLength(1);
  });
});
