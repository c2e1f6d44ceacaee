import { describe, expect, it } from 'vitest';
import { LogKeyError, logKeyPrefix, logUploadKey } from './log-keys.js';

describe('logUploadKey', () => {
  it('puts the upload under the thing prefix, stamped in UTC, named by the job', () => {
    expect(logUploadKey('coffee-pi-3', new Date('2026-12-07T20:56:19.987Z'), 'logs-42')).toBe(
      'logs/coffee-pi-3/20261207T205619Z-logs-42.log',
    );
    expect(logKeyPrefix('coffee-pi-3')).toBe('logs/coffee-pi-3/');
  });

  it('refuses a thing name or job id that could leave the prefix', () => {
    expect(() => logUploadKey('../other', new Date(0), 'j1')).toThrow(LogKeyError);
    expect(() => logUploadKey('coffee-pi-3', new Date(0), '../../x')).toThrow(LogKeyError);
    expect(() => logUploadKey('coffee-pi-3', new Date(Number.NaN), 'j1')).toThrow(LogKeyError);
  });
});
