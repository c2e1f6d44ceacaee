import { describe, expect, it } from 'vitest';
import { InvalidPhotoKeyError, parsePhotoKey, photoPath } from './photo-key.js';

const KEY = 'photos/coffee-pi-01/2026/03/02/0b9e4c1e-5d1f-4a7e-9c33-6f1f2d4a8b10.jpg';

describe('parsePhotoKey', () => {
  it('reads back the key photoPath encoded', () => {
    expect(parsePhotoKey(photoPath(KEY).slice('/api/photos/'.length))).toBe(KEY);
    expect(parsePhotoKey('photos%2Fa%20b.jpg')).toBe('photos/a b.jpg');
  });

  it.each([
    ['lake/curated/telemetry/x.parquet', 'must start with "photos/"'],
    ['photos/../exports/2026-03-01/coffees.csv', 'must not contain ".." segments'],
    ['photos/%2e%2e/secret', 'must not contain ".." segments'],
    ['photos/a%00.jpg', 'must not contain NUL'],
    [`photos/${'x'.repeat(1100)}`, 'at most 1024 allowed'],
    ['photos/%E0%A4%A', 'malformed percent-encoding'],
  ])('refuses %s', (encoded, problem) => {
    expect(() => parsePhotoKey(encoded)).toThrow(InvalidPhotoKeyError);
    expect(() => parsePhotoKey(encoded)).toThrow(problem);
  });

  it('lists every problem of a key at once', () => {
    expect(() => parsePhotoKey('exports/../a%00')).toThrow(
      'invalid photo key: must start with "photos/"; must not contain ".." segments; must not contain NUL',
    );
  });
});
