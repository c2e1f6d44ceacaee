import type { IngestParseOptions } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import type { TelemetryPoint } from '../dashboard/api-types.js';
import {
  TELEMETRY_STEP_MS,
  TELEMETRY_WINDOW_MS,
  TelemetryWindow,
  telemetryPoints,
} from './telemetry-window.js';

const T0 = Date.parse('2026-03-05T10:00:00.000Z');

function point(t: number, temperature = 20): TelemetryPoint {
  return { t, temperature, humidity: 40, pressure: 1012, pitch: 1, roll: 359, yaw: 92 };
}

const encoder = new TextEncoder();
const bytes = (value: unknown) => encoder.encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('TelemetryWindow', () => {
  it('keeps one point per 10 s step: the newest reading in the step wins', () => {
    const window = new TelemetryWindow();
    window.add('coffee-pi-1', point(T0 + 1_000, 20));
    window.add('coffee-pi-1', point(T0 + 9_000, 21));
    window.add('coffee-pi-1', point(T0 + 5_000, 99)); // older than the step's newest: ignored
    window.add('coffee-pi-1', point(T0 + TELEMETRY_STEP_MS, 22)); // the next step

    expect(window.snapshot(T0 + 20_000)).toEqual({
      'coffee-pi-1': [point(T0 + 9_000, 21), point(T0 + 10_000, 22)],
    });
  });

  it('drops a reading from a step the window has already moved past', () => {
    const window = new TelemetryWindow();
    window.add('coffee-pi-1', point(T0 + 25_000, 22));
    window.add('coffee-pi-1', point(T0 + 3_000, 99));

    expect(window.snapshot(T0 + 30_000)['coffee-pi-1']).toEqual([point(T0 + 25_000, 22)]);
  });

  it('keeps each device apart', () => {
    const window = new TelemetryWindow();
    window.add('coffee-pi-1', point(T0 + 1_000, 20));
    window.add('coffee-pi-2', point(T0 + 2_000, 30));

    expect(window.snapshot(T0 + 5_000)).toEqual({
      'coffee-pi-1': [point(T0 + 1_000, 20)],
      'coffee-pi-2': [point(T0 + 2_000, 30)],
    });
  });

  it('trims points older than the hour at snapshot and forgets a device with none left', () => {
    const window = new TelemetryWindow();
    window.add('coffee-pi-1', point(T0, 20));
    window.add('coffee-pi-1', point(T0 + 30 * 60_000, 21));
    window.add('coffee-pi-1', point(T0 + 50 * 60_000, 22));
    window.add('coffee-pi-2', point(T0 + 10_000, 30));

    const later = T0 + TELEMETRY_WINDOW_MS + 40 * 60_000;
    expect(window.snapshot(later)).toEqual({ 'coffee-pi-1': [point(T0 + 50 * 60_000, 22)] });
    // Trimmed for good: a later snapshot does not bring anything back.
    expect(window.snapshot(T0 + TELEMETRY_WINDOW_MS)).toEqual({
      'coffee-pi-1': [point(T0 + 50 * 60_000, 22)],
    });
    // And a device that reports again starts afresh.
    window.add('coffee-pi-2', point(later, 31));
    expect(window.snapshot(later)['coffee-pi-2']).toEqual([point(later, 31)]);
  });

  it('keeps a point exactly at the window edge', () => {
    const window = new TelemetryWindow();
    window.add('coffee-pi-1', point(T0, 20));

    expect(window.snapshot(T0 + TELEMETRY_WINDOW_MS)['coffee-pi-1']).toEqual([point(T0, 20)]);
    expect(window.snapshot(T0 + TELEMETRY_WINDOW_MS + 1)).toEqual({});
  });

  it('gives copies, so a snapshot does not change when more readings arrive', () => {
    const window = new TelemetryWindow();
    window.add('coffee-pi-1', point(T0, 20));
    const snapshot = window.snapshot(T0);
    window.add('coffee-pi-1', point(T0 + 60_000, 21));

    expect(snapshot['coffee-pi-1']).toEqual([point(T0, 20)]);
  });
});

describe('telemetryPoints', () => {
  const BOOT = '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11';
  const arrival = { receivedAt: new Date('2026-03-05T10:00:05.000Z'), partitionKey: 'coffee-pi-3' };
  const reading = {
    seq: 7,
    ts: '2026-03-05T10:00:01.500Z',
    temperature: 31.25,
    humidity: 38.5,
    pressure: 1012.75,
    pitch: 1.2,
    roll: 358.9,
    yaw: 92.3,
    temperatureCpu: 50,
  };
  const envelope = { v: 1, type: 'telemetry', thing: 'coffee-pi-3', deviceId: 'coffee-pi-3', bootId: BOOT };
  const points = (record: unknown, options: IngestParseOptions = arrival) =>
    telemetryPoints(bytes(record), options);

  it('reads the points of a telemetry ingest record', () => {
    expect(points({ ...envelope, readings: [reading] })).toEqual({
      deviceId: 'coffee-pi-3',
      points: [
        {
          t: Date.parse('2026-03-05T10:00:01.500Z'),
          temperature: 31.25,
          humidity: 38.5,
          pressure: 1012.75,
          pitch: 1.2,
          roll: 358.9,
          yaw: 92.3,
        },
      ],
    });
  });

  it('draws exactly the readings the lake lands: none it refuses on its own, the others kept', () => {
    const { temperature: _dropped, ...noTemperature } = reading;
    const result = points({
      ...envelope,
      readings: [
        noTemperature,
        { ...reading, seq: 8, humidity: '38.5' },
        { ...reading, seq: 9, ts: 'yesterday' },
        { ...reading, seq: 10, temperature: 250 },
        { ...reading, seq: 11, ts: '2026-03-05T11:00:00.000Z' },
        null,
        7,
        { ...reading, seq: 12, ts: '2026-03-05T10:00:02.500Z' },
      ],
    });
    expect(result?.points.map((p) => p.t)).toEqual([Date.parse('2026-03-05T10:00:02.500Z')]);
  });

  it('answers null for a coffee record, a record without readings and bytes that are not JSON', () => {
    expect(points({ v: 1, type: 'coffee', deviceId: 'coffee-pi-3' })).toBeNull();
    expect(points(envelope)).toBeNull();
    expect(telemetryPoints(bytes('{"type": "telemetry", '), arrival)).toBeNull();
    expect(telemetryPoints(bytes('null'), arrival)).toBeNull();
    expect(telemetryPoints(bytes('42'), arrival)).toBeNull();
  });

  it('draws nothing of an envelope whose deviceId is not the thing of its topic or its partition key', () => {
    const forged = { ...envelope, deviceId: 'coffee-pi-2', readings: [reading] };
    expect(points({ ...forged, thing: 'coffee-pi-3' })).toBeNull();
    expect(points({ ...forged, thing: 'coffee-pi-2' })).toBeNull();
    const { thing: _thing, ...unvouched } = forged;
    expect(points(unvouched, { receivedAt: arrival.receivedAt })).toBeNull();
  });
});
