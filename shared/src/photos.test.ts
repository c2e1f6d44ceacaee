import { describe, expect, it } from 'vitest';
import { PhotoKeyError, parsePhotoKey, photoKey } from './photos.js';
import { validateCoffeeEvent } from './validate.js';

const EVENT = '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('photoKey', () => {
  it('lays photos out by thing and UTC day', () => {
    // 23:30 in UTC-2 is already the next day in UTC: the key follows UTC.
    const capturedAt = new Date('2026-11-26T23:30:00.000-02:00');
    expect(photoKey('coffee-pi-1', capturedAt, EVENT)).toBe(`photos/coffee-pi-1/2026/11/27/${EVENT}.jpg`);
  });

  it('round-trips through parsePhotoKey', () => {
    const key = photoKey('pi:7', new Date('2026-01-05T08:00:00.000Z'), EVENT);
    expect(parsePhotoKey(key)).toEqual({ thingName: 'pi:7', capturedOn: '2026-01-05', eventId: EVENT });
  });

  it('names what is wrong', () => {
    expect(() => photoKey('pi/1', new Date(), EVENT)).toThrow(/thing name/);
    expect(() => photoKey('pi', new Date(), 'not-a-uuid')).toThrow(/event id/);
    expect(() => photoKey('pi', new Date('nope'), EVENT)).toThrow(/valid date/);
    expect(() => parsePhotoKey('imports/readings.csv')).toThrow(PhotoKeyError);
  });
});

describe('coffee event v1', () => {
  const captured = {
    v: 1,
    deviceId: 'coffee-pi-1',
    bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
    eventId: EVENT,
    pressedAt: '2026-11-26T10:00:00.000Z',
    capturedAt: '2026-11-26T10:00:03.210Z',
    trigger: 'button',
    outcome: 'captured',
    photoKey: `photos/coffee-pi-1/2026/11/26/${EVENT}.jpg`,
    reason: null,
  };

  it('accepts a captured press and a camera failure', () => {
    expect(validateCoffeeEvent(captured).ok).toBe(true);
    const { capturedAt: _notCaptured, ...pressed } = captured;
    const failed = { ...pressed, outcome: 'camera_failed', photoKey: null, reason: 'rpicam-still timed out' };
    expect(validateCoffeeEvent(failed).ok).toBe(true);
  });

  it('rejects unknown outcomes and malformed photo keys, naming the field', () => {
    const result = validateCoffeeEvent({ ...captured, outcome: 'spilled', photoKey: 'photos/x.jpg' });
    expect(result.ok ? [] : result.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/outcome:/), expect.stringMatching(/^\/photoKey:/)]),
    );
  });
});
