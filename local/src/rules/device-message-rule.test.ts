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

const HEALTH = {
  v: 1,
  deviceId: 'coffee-pi-1',
  bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
  ts: '2026-03-05T10:00:00.000Z',
  agentVersion: '0.1.0',
  transport: 'mqtt.js',
  uptimeSeconds: 60,
  spoolDepth: 3,
  oldestUnsentAgeSeconds: null,
  droppedReadings: 0,
  sensorErrors: 0,
  lastPubackAt: null,
};
const COFFEE = {
  v: 1,
  deviceId: 'coffee-pi-1',
  bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
  eventId: '5f0c6f52-3a4d-4b8e-9c1d-2e3f4a5b6c7d',
  pressedAt: '2026-03-05T10:00:00.000Z',
  trigger: 'button',
  outcome: 'skipped',
  photoKey: null,
  reason: 'a press during the countdown',
};

function setup() {
  const refused: RuleErrorRecord[] = [];
  const logs = captureLogs();
  const rule = new DeviceMessageRule({ logger: logs.logger, errors: { refuse: (r) => refused.push(r) } });
  return { rule, refused, logs };
}

describe('DeviceMessageRule', () => {
  it('admits a health or coffee message whose deviceId is the topic thing, as the object it is', () => {
    const { rule, refused } = setup();

    expect(
      rule.admit('health', 'coffee-pi-1', Buffer.from(JSON.stringify(HEALTH)), arrival('health')),
    ).toEqual(HEALTH);
    expect(
      rule.admit('coffee', 'coffee-pi-1', Buffer.from(JSON.stringify(COFFEE)), arrival('coffee')),
    ).toEqual(COFFEE);
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
    [
      'health',
      { ...HEALTH, spoolDepth: 'four', transport: 'carrier pigeon' },
      /\/spoolDepth: must be integer/,
    ],
    ['health', { v: 1, deviceId: 'coffee-pi-1', spoolDepth: 4 }, /must have required property 'bootId'/],
    ['coffee', { ...COFFEE, outcome: 'brewed' }, /^\/outcome: must be equal to one of the allowed values/],
  ] as const)(
    'refuses a %s message that does not meet its v1 contract as malformed, naming every problem',
    (kind, message, reason) => {
      const { rule, refused } = setup();
      expect(rule.admit(kind, 'coffee-pi-1', Buffer.from(JSON.stringify(message)), arrival(kind))).toBeNull();
      expect(rule.counters).toMatchObject({ malformed: 1, identityMismatches: 0, admitted: 0 });
      expect(refused).toHaveLength(1);
      expect(refused[0]?.reason).toMatch(reason);
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
