import { describe, expect, it } from 'vitest';
import { EnvironmentError, EnvReader } from './env.js';

describe('EnvReader', () => {
  it('reads typed values and falls back when unset', () => {
    const env = new EnvReader({ STREAM: 'ingest', LIMIT: '12', DELETE: 'yes' });
    expect(env.string('STREAM')).toBe('ingest');
    expect(env.number('LIMIT', 5, { min: 0, max: 100 })).toBe(12);
    expect(env.number('OTHER', 5, { min: 0, max: 100 })).toBe(5);
    expect(env.boolean('DELETE', false)).toBe(true);
    expect(env.oneOf('MODE', ['a', 'b'], 'a')).toBe('a');
    expect(() => env.done()).not.toThrow();
  });

  it('reports every problem at once, naming each variable', () => {
    const env = new EnvReader({ LIMIT: 'lots', DELETE: 'maybe', MODE: 'c', BLANK: '  ' });
    env.string('STREAM');
    env.string('BLANK');
    env.number('LIMIT', 5, { min: 0, max: 100 });
    env.boolean('DELETE', false);
    env.oneOf('MODE', ['a', 'b'], 'a');
    let error: unknown;
    try {
      env.done();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).problems).toEqual([
      'STREAM is required',
      'BLANK is required',
      'LIMIT must be a number from 0 to 100, got "lots"',
      'DELETE must be true or false, got "maybe"',
      'MODE must be one of a, b, got "c"',
    ]);
  });
});
