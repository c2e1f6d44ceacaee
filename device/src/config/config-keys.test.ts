import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, screamingSnake } from './config-keys.js';

describe('config keys', () => {
  it('names environment variables COFFEE_IOT_ plus the path in SCREAMING_SNAKE case', () => {
    const names = Object.fromEntries(CONFIG_KEYS.map((key) => [key.path, key.envName]));
    expect(names).toMatchObject({
      thingName: 'COFFEE_IOT_THING_NAME',
      rootCa: 'COFFEE_IOT_ROOT_CA',
      'spool.maxBytes': 'COFFEE_IOT_SPOOL_MAX_BYTES',
      'publish.maxPublishesPerSecond': 'COFFEE_IOT_PUBLISH_MAX_PUBLISHES_PER_SECOND',
      'sensors.temperatureCompensation.factor': 'COFFEE_IOT_SENSORS_TEMPERATURE_COMPENSATION_FACTOR',
      mockSeed: 'COFFEE_IOT_MOCK_SEED',
    });
  });

  it('gives every key a distinct variable and an expected form', () => {
    const envNames = CONFIG_KEYS.map((key) => key.envName);
    expect(new Set(envNames).size).toBe(envNames.length);
    for (const key of CONFIG_KEYS) expect(key.description, key.path).not.toBe('');
  });

  it('marks exactly the connection identity as required', () => {
    expect(CONFIG_KEYS.filter((key) => key.required).map((key) => key.path)).toEqual([
      'thingName',
      'endpoint',
      'cert',
      'key',
      'rootCa',
    ]);
  });

  it('splits camelCase at every capital', () => {
    expect(screamingSnake('reconnect.stableAfterMs')).toBe('RECONNECT_STABLE_AFTER_MS');
  });
});
