import { describe, expect, it } from 'vitest';
import { TopicError } from './errors.js';
import { buildTopic, parseTopic, topicFilter, topicPrefixProblem } from './topics.js';

describe('buildTopic', () => {
  it('builds {prefix}/{thing}/{kind} under the default dt/ prefix', () => {
    expect(buildTopic({ prefix: 'dt/coffee-iot', thingName: 'coffee-pi-1', kind: 'telemetry' })).toBe(
      'dt/coffee-iot/coffee-pi-1/telemetry',
    );
    expect(buildTopic({ prefix: 'dt/coffee-iot', thingName: 'pi:2_b', kind: 'health' })).toBe(
      'dt/coffee-iot/pi:2_b/health',
    );
  });

  it.each([
    ['', /empty/],
    ['/dt', /start or end/],
    ['dt/', /start or end/],
    ['dt//x', /empty levels/],
    ['dt/+/x', /wildcards/],
    ['dt/#', /wildcards/],
    ['$aws/things', /reserved/],
  ])('rejects the prefix %j', (prefix, problem) => {
    expect(topicPrefixProblem(prefix)).toMatch(problem);
    expect(() => buildTopic({ prefix, thingName: 'pi', kind: 'telemetry' })).toThrow(TopicError);
  });

  it('rejects thing names IoT Core would not accept', () => {
    expect(() => buildTopic({ prefix: 'dt/coffee-iot', thingName: 'pi/1', kind: 'telemetry' })).toThrow(
      /thing name/,
    );
    expect(() =>
      buildTopic({ prefix: 'dt/coffee-iot', thingName: 'x'.repeat(129), kind: 'telemetry' }),
    ).toThrow(/thing name/);
  });

  it('enforces IoT Core topic depth (7 slashes) and length (256 bytes)', () => {
    expect(buildTopic({ prefix: 'a/b/c/d/e/f', thingName: 'pi', kind: 'telemetry' })).toBe(
      'a/b/c/d/e/f/pi/telemetry',
    );
    expect(() => buildTopic({ prefix: 'a/b/c/d/e/f/g', thingName: 'pi', kind: 'telemetry' })).toThrow(
      /levels/,
    );
    expect(() =>
      buildTopic({ prefix: 'p'.repeat(200), thingName: 'x'.repeat(60), kind: 'telemetry' }),
    ).toThrow(/256 bytes/);
  });
});

describe('parseTopic', () => {
  it('round-trips a built topic', () => {
    const address = { prefix: 'dt/coffee-iot', thingName: 'coffee-pi-1', kind: 'coffee' } as const;
    expect(parseTopic(buildTopic(address), 'dt/coffee-iot')).toEqual(address);
  });

  it('names what is wrong with a foreign topic', () => {
    expect(() => parseTopic('other/pi/telemetry', 'dt/coffee-iot')).toThrow(/not under prefix/);
    expect(() => parseTopic('dt/coffee-iot/pi/telemetry/extra', 'dt/coffee-iot')).toThrow(/not \{prefix\}/);
    expect(() => parseTopic('dt/coffee-iot/pi/weather', 'dt/coffee-iot')).toThrow(/unknown kind "weather"/);
  });
});

describe('topicFilter', () => {
  it('subscribes to one kind across all devices', () => {
    expect(topicFilter('dt/coffee-iot', 'telemetry')).toBe('dt/coffee-iot/+/telemetry');
  });
});
