import { validateTelemetryEnvelope } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import type { SpooledReading } from '../spool/spool-port.js';
import { packNextEnvelope } from './envelope.js';

const BOOT_A = '11111111-1111-4111-8111-111111111111';
const BOOT_B = '22222222-2222-4222-8222-222222222222';

function row(seq: number, bootId = BOOT_A): SpooledReading {
  const reading = {
    seq,
    ts: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
    temperature: 21.5,
    humidity: 40.25,
    pressure: 1013.2,
    pitch: 1.5,
    roll: -0.5,
    yaw: 180,
  };
  return { seq, takenAtMs: Date.parse(reading.ts), bootId, json: JSON.stringify(reading) };
}

describe('packNextEnvelope', () => {
  it('produces a schema-valid v1 envelope holding the readings verbatim, in seq order', () => {
    const rows = [row(1), row(2), row(3)];
    const { envelope } = packNextEnvelope('coffee-pi-1', rows, 128 * 1024);
    expect(envelope?.seqs).toEqual([1, 2, 3]);
    const parsed = JSON.parse(envelope?.payload ?? '');
    expect(validateTelemetryEnvelope(parsed)).toMatchObject({ ok: true });
    expect(parsed.readings.map((r: { seq: number }) => r.seq)).toEqual([1, 2, 3]);
    expect(envelope?.bytes).toBe(Buffer.byteLength(envelope?.payload ?? ''));
  });

  it('never exceeds the payload limit and takes as many readings as fit', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => row(i + 1));
    const limit = 4096;
    const { envelope } = packNextEnvelope('coffee-pi-1', rows, limit);
    expect(envelope).not.toBeNull();
    expect(envelope?.bytes).toBeLessThanOrEqual(limit);
    const oneMore = packNextEnvelope(
      'coffee-pi-1',
      rows.slice(0, (envelope?.seqs.length ?? 0) + 1),
      1e9,
    ).envelope;
    expect(oneMore?.bytes).toBeGreaterThan(limit);
  });

  it('does not mix readings of two agent boots in one envelope', () => {
    const { envelope } = packNextEnvelope('coffee-pi-1', [row(1), row(2), row(3, BOOT_B)], 128 * 1024);
    expect(envelope?.seqs).toEqual([1, 2]);
    expect(JSON.parse(envelope?.payload ?? '').bootId).toBe(BOOT_A);
  });

  it('reports leading readings that cannot fit even alone instead of blocking the queue', () => {
    const huge = { ...row(1), json: JSON.stringify({ pad: 'x'.repeat(500) }) };
    const { envelope, oversized } = packNextEnvelope('coffee-pi-1', [huge, row(2)], 400);
    expect(oversized.map((r) => r.seq)).toEqual([1]);
    expect(envelope?.seqs).toEqual([2]);
  });

  it('returns no envelope for an empty batch', () => {
    expect(packNextEnvelope('coffee-pi-1', [], 1000)).toEqual({ envelope: null, oversized: [] });
  });
});
