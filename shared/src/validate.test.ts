import { describe, expect, it } from 'vitest';
import { ContractValidationError } from './errors.js';
import type { TelemetryEnvelope } from './telemetry.js';
import { parseTelemetryEnvelope, validateHealthMessage, validateTelemetryEnvelope } from './validate.js';

const envelope: TelemetryEnvelope = {
  v: 1,
  deviceId: 'coffee-pi-1',
  bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
  readings: [
    {
      seq: 41,
      ts: '2026-11-26T10:00:00.000Z',
      temperature: 31.2,
      humidity: 38.5,
      pressure: 1012.4,
      pitch: 1.2,
      roll: 358.9,
      yaw: 92.3,
      temperatureAmbient: 22.1,
      temperatureCpu: 49.4,
      accelX: 0.01,
      accelY: -0.02,
      accelZ: 0.99,
    },
  ],
};

describe('telemetry envelope v1', () => {
  it('accepts a well-formed envelope', () => {
    expect(validateTelemetryEnvelope(envelope)).toEqual({ ok: true, value: envelope });
    expect(parseTelemetryEnvelope(JSON.stringify(envelope))).toEqual(envelope);
  });

  it('reports every problem at once, each naming its field', () => {
    const bad = {
      ...envelope,
      v: 2,
      extra: true,
      readings: [
        { ...envelope.readings[0], seq: 0, ts: '2026-11-26 10:00', humidity: 140, temperature: 'warm' },
      ],
    };
    const result = validateTelemetryEnvelope(bad);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/v: must be equal to constant/),
        expect.stringMatching(/^\(root\): unknown property "extra"/),
        expect.stringMatching(/^\/readings\/0\/seq: must be >= 1/),
        expect.stringMatching(/^\/readings\/0\/ts: must match pattern/),
        expect.stringMatching(/^\/readings\/0\/humidity: must be <= 100/),
        expect.stringMatching(/^\/readings\/0\/temperature: must be number/),
      ]),
    );
  });

  it('requires at least one reading and every core field', () => {
    const result = validateTelemetryEnvelope({
      ...envelope,
      readings: [{ seq: 1, ts: '2026-11-26T10:00:00.000Z' }],
    });
    const problems = result.ok ? [] : result.problems.join('\n');
    for (const field of ['temperature', 'humidity', 'pressure', 'pitch', 'roll', 'yaw']) {
      expect(problems).toContain(`must have required property '${field}'`);
    }
    expect(validateTelemetryEnvelope({ ...envelope, readings: [] }).ok).toBe(false);
  });

  it('throws a named error for a payload that is not JSON', () => {
    expect(() => parseTelemetryEnvelope('{"v":1,')).toThrow(ContractValidationError);
    expect(() => parseTelemetryEnvelope('{"v":1,')).toThrow(/not JSON/);
  });
});

describe('health v1', () => {
  it('accepts what the agent sends and rejects unknown transports', () => {
    const health = {
      v: 1,
      deviceId: 'coffee-pi-1',
      bootId: envelope.bootId,
      ts: '2026-11-26T10:00:00.000Z',
      agentVersion: '0.1.0',
      transport: 'aws-crt',
      uptimeSeconds: 60,
      spoolDepth: 0,
      oldestUnsentAgeSeconds: null,
      droppedReadings: 0,
      sensorErrors: 0,
      lastPubackAt: null,
    };
    expect(validateHealthMessage(health).ok).toBe(true);
    expect(validateHealthMessage({ ...health, transport: 'carrier-pigeon' }).ok).toBe(false);
  });
});
