import { UNKNOWN_FACE_ATTRIBUTES } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import type { CoffeeView } from '../dashboard/api-types.js';
import { describeCoffee } from './describe-coffee.js';

const base: CoffeeView = {
  ...UNKNOWN_FACE_ATTRIBUTES,
  deviceId: 'coffee-pi-2',
  eventId: 'e1',
  photoKey: 'photos/coffee-pi-2/2026/11/26/e1.jpg',
  photoUrl: '/api/photos/photos/coffee-pi-2/2026/11/26/e1.jpg',
  capturedAt: '2026-11-26T10:00:00.000Z',
  analyzedAt: '2026-11-26T10:00:01.000Z',
  status: 'analyzed',
  reason: null,
  analyzer: 'local',
};

describe('the terminal line for a coffee', () => {
  it('says unknown for what the local analyzer cannot tell', () => {
    const line = describeCoffee({
      ...base,
      personPresent: true,
      faceCount: 1,
      smile: true,
      ageLow: 24,
      ageHigh: 34,
    });
    expect(line).toBe(
      '☕ coffee-pi-2: 1 face, smile yes, glasses unknown, beard unknown, age 24–34 (local analyzer)',
    );
  });

  it('names an unanalyzable photo with its reason', () => {
    expect(describeCoffee({ ...base, status: 'unanalyzable', reason: 'not a JPEG or PNG' })).toBe(
      '☕ coffee-pi-2: photo unanalyzable (not a JPEG or PNG)',
    );
  });
});
