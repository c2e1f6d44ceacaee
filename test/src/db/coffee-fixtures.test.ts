import { parsePhotoKey, validateCoffeeRecord } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import { sampleCoffeeRecord } from '../../../cloud/src/testing/coffee-fixtures.js';

describe('sampleCoffeeRecord', () => {
  it('is a valid record from coffee-pi-01 with a fresh event id and a matching photo key', () => {
    const [a, b] = [sampleCoffeeRecord(), sampleCoffeeRecord()];
    expect(validateCoffeeRecord(a)).toEqual({ ok: true, value: a });
    expect(a.eventId).not.toBe(b.eventId);
    expect(a).toMatchObject({ deviceId: 'coffee-pi-01', status: 'analyzed', analyzer: 'rekognition' });
    expect(parsePhotoKey(a.photoKey)).toEqual({
      thingName: 'coffee-pi-01',
      capturedOn: '2026-03-02',
      eventId: a.eventId,
    });
  });

  it('keeps the photo key consistent with overridden device, event and time', () => {
    const record = sampleCoffeeRecord({
      deviceId: 'hall-pi',
      capturedAt: null,
      analyzedAt: '2026-04-01T00:00:01.000Z',
    });
    expect(parsePhotoKey(record.photoKey)).toEqual({
      thingName: 'hall-pi',
      capturedOn: '2026-04-01',
      eventId: record.eventId,
    });
  });

  it('refuses overrides that break the contract, naming the field', () => {
    expect(() => sampleCoffeeRecord({ smileConfidence: 120 })).toThrow(/smileConfidence/);
  });
});
