import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ObservedMosquitto, startObservedMosquitto } from '../../test/src/harness/observed-mosquitto.js';
import type { ReceivedMessage, TestSubscriber } from '../../test/src/harness/subscriber.js';

export const THING = 'coffee-pi-bench';
export const TELEMETRY = `dt/coffee-iot/${THING}/telemetry`;

/** One message as the subscriber saw it, stamped with performance.now() on arrival. */
export interface Arrival {
  atMs: number;
  bytes: number;
  seqs: number[];
}

/** A per-run mosquitto (mutual TLS), a subscriber on the telemetry topic (or on `topics`) and a scratch directory. */
export type BenchStack = ObservedMosquitto;

export function startStack(
  options: { brokerDebugLog?: boolean; topics?: readonly string[] } = {},
): Promise<BenchStack> {
  return startObservedMosquitto(THING, 'bench-observer', options.topics ?? [TELEMETRY], {
    // Debug logging makes mosquitto log every PUBLISH it receives: the broker-side view of the rate.
    beforeStart: async (broker) => {
      if (options.brokerDebugLog) await appendFile(join(broker.dir, 'mosquitto.conf'), 'log_type debug\n');
    },
  });
}

/**
 * Stamps each telemetry message as it arrives and resolves once every seq in 1..lastSeq has
 * arrived (duplicates from at-least-once delivery are counted as messages, not as new seqs).
 */
export async function waitForAllSeqs(
  subscriber: TestSubscriber,
  lastSeq: number,
  timeoutMs: number,
): Promise<Arrival[]> {
  const arrivals: Arrival[] = [];
  const seen = new Uint8Array(lastSeq + 1);
  let missing = lastSeq;
  let stamped = 0;
  const observe = (messages: readonly ReceivedMessage[]) => {
    for (; stamped < messages.length; stamped += 1) {
      const message = messages[stamped] as ReceivedMessage;
      if (message.topic !== TELEMETRY) continue;
      const atMs = performance.now();
      const seqs = (JSON.parse(message.payload.toString()) as { readings: { seq: number }[] }).readings.map(
        (r) => r.seq,
      );
      for (const seq of seqs) {
        if (seq <= lastSeq && seen[seq] === 0) {
          seen[seq] = 1;
          missing -= 1;
        }
      }
      arrivals.push({ atMs, bytes: message.payload.length, seqs });
    }
    return missing === 0;
  };
  await subscriber.waitFor(observe, timeoutMs, `every seq 1..${lastSeq}`);
  return arrivals;
}

/**
 * mosquitto's own record of each PUBLISH it received from `clientId`, any topic (needs
 * brokerDebugLog): the epoch second it logged (whole seconds only), the topic and payload size.
 */
export function brokerPublishes(
  brokerLog: string,
  clientId: string,
): { second: number; topic: string; bytes: number }[] {
  // e.g. "1732650000: Received PUBLISH from coffee-pi-bench (d0, q1, r0, m3, 'dt/…/telemetry', ... (1234 bytes))"
  const pattern = new RegExp(
    `^(\\d+): Received PUBLISH from ${clientId} \\(.*'([^']+)'.*\\((\\d+) bytes\\)\\)`,
  );
  return brokerLog.split('\n').flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [{ second: Number(match[1]), topic: match[2] as string, bytes: Number(match[3]) }] : [];
  });
}

/** A TCP port free on 127.0.0.1 right now (for a port the agent must be told in its config). */
export { freePort } from '../../test/src/harness/free-port.js';
