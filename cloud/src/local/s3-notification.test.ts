import { describe, expect, it } from 'vitest';
import { decodeS3Key, parseS3Event } from '../photos/s3-event.js';
import { asS3Notification, encodeS3Key } from './s3-notification.js';

describe('encodeS3Key', () => {
  it.each([
    'photos/coffee-pi-01/2026/11/26/0b7c2a50-1d4e-4f7a-9d0e-3c1f2b5a6d7e.jpg',
    'photos/thing:with:colons/2026/01/02/x.jpg',
    'imports/old readings + more (2024).csv',
    'imports/ünïcödé/100%.csv',
  ])('is undone by the handler decoding: %s', (key) => {
    expect(decodeS3Key(encodeS3Key(key))).toBe(key);
  });

  it('encodes as S3 does: slashes kept, spaces as +', () => {
    expect(encodeS3Key('imports/a b:c.csv')).toBe('imports/a+b%3Ac.csv');
  });
});

describe('asS3Notification', () => {
  it('encodes the keys of an s3rver event so the handler reads back the raw key', () => {
    const s3rverEvent = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'b' }, object: { key: 'imports/a b.csv', size: 3 } },
        },
      ],
    };
    const notification = asS3Notification(s3rverEvent);
    expect(notification.Records[0]?.s3.object.key).toBe('imports/a+b.csv');
    expect(s3rverEvent.Records[0]?.s3.object.key).toBe('imports/a b.csv');
    expect(parseS3Event(notification).objects[0]?.key).toBe('imports/a b.csv');
  });
});
