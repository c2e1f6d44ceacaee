import { describe, expect, it } from 'vitest';
import { photoRecordsOnly } from './notification-filter.js';

const record = (key: string) => ({ eventName: 'ObjectCreated:Put', s3: { object: { key } } });

describe('photoRecordsOnly', () => {
  it('keeps the records under photos/ and drops the rest, as the AWS notification filter does', () => {
    const photo = record('photos/coffee-pi-1/2026/12/07/e1.jpg');
    expect(photoRecordsOnly({ Records: [record('logs/coffee-pi-1/x.log'), photo] })).toEqual({
      Records: [photo],
    });
  });

  it('answers null for an event with no photo at all', () => {
    expect(
      photoRecordsOnly({ Records: [record('logs/coffee-pi-1/x.log'), record('photosX/a.jpg'), {}] }),
    ).toBeNull();
  });
});
