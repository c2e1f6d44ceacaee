import { describe, expect, it } from 'vitest';
import { deviceMay, deviceTopicGrants, policyPatternMatches } from './device-topics.js';
import { TopicError } from './errors.js';

describe('deviceTopicGrants', () => {
  it('grants publish, subscribe and receive under {prefix}/{thing}/ only', () => {
    const own = 'dt/coffee-iot/coffee-pi-1/*';
    expect(deviceTopicGrants('dt/coffee-iot', 'coffee-pi-1')).toEqual({
      publish: [own],
      subscribe: [own],
      receive: [own],
    });
  });

  it('takes the IoT policy variable in place of a thing name, for the policy itself', () => {
    const variable = `\${iot:Connection.Thing.ThingName}`;
    expect(deviceTopicGrants('dt/coffee-iot', variable).publish).toEqual([`dt/coffee-iot/${variable}/*`]);
  });

  it.each([
    ['dt/coffee-iot', 'coffee-pi-*', /thing/],
    ['dt/coffee-iot', 'a/b', /thing/],
    ['dt/coffee-iot', '#', /thing/],
    ['dt/coffee-iot', `\${a}\${b}`, /thing/],
    ['dt/*', 'coffee-pi-1', /policy wildcards/],
    ['dt/?', 'coffee-pi-1', /policy wildcards/],
    ['dt/+', 'coffee-pi-1', /wildcards/],
  ])('refuses prefix %j with thing %j: its grants would reach other devices', (prefix, thing, reason) => {
    expect(() => deviceTopicGrants(prefix, thing)).toThrow(TopicError);
    expect(() => deviceTopicGrants(prefix, thing)).toThrow(reason);
  });
});

describe('policyPatternMatches (IoT policy wildcards)', () => {
  it.each([
    ['a/*', 'a/', true],
    ['a/*', 'a/b/c', true],
    ['a/*', 'a', false],
    ['a/*', 'b/a/x', false],
    ['a/?/c', 'a/b/c', true],
    ['a/?/c', 'a/bb/c', false],
    ['*/x', 'a/b/x', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYc!', false],
    ['exact', 'exact', true],
    ['exact', 'exac', false],
  ])('%j against %j → %s', (pattern, value, expected) => {
    expect(policyPatternMatches(pattern, value)).toBe(expected);
  });
});

describe('deviceMay', () => {
  const grants = deviceTopicGrants('dt/coffee-iot', 'coffee-pi-1');

  it.each([
    ['dt/coffee-iot/coffee-pi-1/telemetry', true],
    ['dt/coffee-iot/coffee-pi-1/#', true],
    ['dt/coffee-iot/coffee-pi-1/+', true],
    ['#', false],
    ['+/coffee-iot/coffee-pi-1/telemetry', false],
    ['dt/coffee-iot/+/telemetry', false],
    ['dt/coffee-iot/#', false],
    ['dt/coffee-iot/coffee-pi-2/telemetry', false],
    ['dt/coffee-iot/coffee-pi-10/telemetry', false],
    ['dt/coffee-iot/coffee-pi-1', false],
    ['$aws/things/coffee-pi-1/shadow/update', false],
    ['$SYS/#', false],
  ])('subscribe %j → %s', (filter, expected) => {
    expect(deviceMay(grants, 'subscribe', filter)).toBe(expected);
  });

  it('lets a device publish and receive on its own topics only', () => {
    expect(deviceMay(grants, 'publish', 'dt/coffee-iot/coffee-pi-1/coffee')).toBe(true);
    expect(deviceMay(grants, 'publish', 'dt/coffee-iot/coffee-pi-2/coffee')).toBe(false);
    expect(deviceMay(grants, 'receive', 'dt/coffee-iot/coffee-pi-1/health')).toBe(true);
    expect(deviceMay(grants, 'receive', 'dt/coffee-iot/coffee-pi-2/health')).toBe(false);
  });
});
