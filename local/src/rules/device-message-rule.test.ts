import type { RuleErrorRecord } from '@coffee-iot/cloud/lake';
import { describe, expect, it } from 'vitest';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { DEVICE_MESSAGE_RULE_NAMES, DeviceMessageRule } from './device-message-rule.js';

const ARRIVED = new Date('2026-03-05T10:00:00.500Z');
const arrival = (kind: string, clientId = 'coffee-pi-1') => ({
  topic: `dt/coffee-iot/coffee-pi-1/${kind}`,
  clientId,
  arrivedAt: ARRIVED,
});

function setup() {
  const refused: RuleErrorRecord[] = [];
  const logs = captureLogs();
  const rule = new DeviceMessageRule({ logger: logs.logger, errors: { refuse: (r) => refused.push(r) } });
  return { rule, refused, logs };
}

describe('DeviceMessageRule', () => {
  it('admits a health or coffee message whose deviceId is the topic thing, as the object it is', () => {
    const { rule, refused } = setup();
    const health = { v: 1, deviceId: 'coffee-pi-1', spoolDepth: 3 };

    expect(
      rule.admit('health', 'coffee-pi-1', Buffer.from(JSON.stringify(health)), arrival('health')),
    ).toEqual(health);
    expect(
      rule.admit('coffee', 'coffee-pi-1', Buffer.from('{"deviceId":"coffee-pi-1"}'), arrival('coffee')),
    ).toEqual({
      deviceId: 'coffee-pi-1',
    });
    expect(rule.counters).toEqual({ matched: 2, admitted: 2, malformed: 0, identityMismatches: 0 });
    expect(refused).toEqual([]);
  });

  it.each(['health', 'coffee'] as const)(
    'refuses a %s message naming another device, counted, logged and in the error action',
    (kind) => {
      const { rule, refused, logs } = setup();
      const payload = Buffer.from(JSON.stringify({ v: 1, deviceId: 'coffee-pi-2', spoolDepth: 999 }));

      expect(rule.admit(kind, 'coffee-pi-1', payload, arrival(kind))).toBeNull();

      expect(rule.counters).toEqual({ matched: 1, admitted: 0, malformed: 0, identityMismatches: 1 });
      expect(refused).toEqual([
        {
          ruleName: DEVICE_MESSAGE_RULE_NAMES[kind],
          topic: `dt/coffee-iot/coffee-pi-1/${kind}`,
          clientId: 'coffee-pi-1',
          base64OriginalPayload: payload.toString('base64'),
          originalPayload: payload.toString('utf8'),
          failures: [expect.objectContaining({ errorMessage: refused[0]?.reason })],
          arrivedAt: ARRIVED.toISOString(),
          reason:
            'deviceId does not match topic: the payload says "coffee-pi-2", the topic\'s thing is "coffee-pi-1"',
        },
      ]);
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: LEVEL.warn,
          thingName: 'coffee-pi-1',
          msg: expect.stringContaining(kind),
        }),
      );
    },
  );

  it.each([
    ['not JSON', Buffer.from('{"deviceId":'), /^payload is not JSON/],
    ['a NaN literal', Buffer.from('{"v":NaN}'), /^payload is not JSON/],
    ['binary', Buffer.from([0xff, 0xfe]), /^payload is not UTF-8/],
    [
      'an array',
      Buffer.from('[{"deviceId":"coffee-pi-1"}]'),
      /^payload is not a JSON object \(got an array\)/,
    ],
    ['without a deviceId', Buffer.from('{"v":1}'), /^\/deviceId: must be a string/],
  ])('refuses a health message that is %s as malformed', (_name, payload, reason) => {
    const { rule, refused } = setup();

    expect(rule.admit('health', 'coffee-pi-1', payload, arrival('health'))).toBeNull();

    expect(rule.counters).toMatchObject({ malformed: 1, identityMismatches: 0, admitted: 0 });
    expect(refused).toEqual([
      expect.objectContaining({
        base64OriginalPayload: payload.toString('base64'),
        reason: expect.stringMatching(reason),
      }),
    ]);
  });
});
