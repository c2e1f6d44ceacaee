import { type CoffeeEvent, type CoffeeOutcome, type CoffeeTrigger, photoKey } from '@coffee-iot/shared';
import type { PackResult } from '../publisher/envelope.js';
import type { SpooledReading } from '../spool/spool-port.js';

export interface PressOutcome {
  eventId: string;
  pressedAtMs: number;
  trigger: CoffeeTrigger;
  outcome: CoffeeOutcome;
  /** When the photo was taken; only for `captured`. */
  capturedAtMs?: number;
  /** Why the camera failed or the press was skipped. */
  reason?: string;
}

/** Builds the coffee event v1 (shared/src/schemas/coffee-event-v1.schema.json) for one press. */
export function toCoffeeEvent(deviceId: string, bootId: string, press: PressOutcome): CoffeeEvent {
  const captured = press.outcome === 'captured' && press.capturedAtMs !== undefined;
  return {
    v: 1,
    deviceId,
    bootId,
    eventId: press.eventId,
    pressedAt: new Date(press.pressedAtMs).toISOString(),
    ...(captured ? { capturedAt: new Date(press.capturedAtMs as number).toISOString() } : {}),
    trigger: press.trigger,
    outcome: press.outcome,
    photoKey: captured ? photoKey(deviceId, new Date(press.capturedAtMs as number), press.eventId) : null,
    reason: captured ? null : (press.reason ?? null),
  };
}

/** Coffee events go out one per message, verbatim as queued. */
export function packOneEvent(
  _deviceId: string,
  rows: readonly SpooledReading[],
  maxPayloadBytes: number,
): PackResult {
  const [first] = rows;
  if (!first) return { envelope: null, oversized: [] };
  const bytes = Buffer.byteLength(first.json);
  if (bytes > maxPayloadBytes) return { envelope: null, oversized: [first] };
  return { envelope: { payload: first.json, bytes, seqs: [first.seq] }, oversized: [] };
}
