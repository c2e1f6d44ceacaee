import type { TestBroker } from './test-broker.js';
import { clientFiles } from './test-pki.js';

export type TransportUnderTest = 'aws-crt' | 'mqtt.js';
export const TRANSPORTS: readonly TransportUnderTest[] = ['aws-crt', 'mqtt.js'];

/**
 * An agent.json for a mock-hardware agent talking to a test broker with the trusted PKI.
 * Test-friendly timings: short reconnect delays and connect timeout, so outages resolve fast.
 */
export function agentConfigFor(
  broker: TestBroker,
  thingName: string,
  stateDir: string,
  transport: TransportUnderTest,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const files = clientFiles(broker.pki.trusted.clients, thingName);
  return {
    thingName,
    endpoint: broker.host,
    port: broker.port,
    cert: files.certPath,
    key: files.keyPath,
    rootCa: broker.pki.trusted.caPath,
    stateDir,
    transport,
    mock: true,
    mockSeed: 42,
    logLevel: 'info',
    keepAliveSeconds: 5,
    connectTimeoutMs: 3000,
    reconnect: { minMs: 500, maxMs: 2000, stableAfterMs: 5000 },
    ...overrides,
  };
}

/** Seqs of every reading in telemetry payloads, in arrival order. */
export function seqsOf(payloads: readonly string[]): number[] {
  return payloads.flatMap((payload) =>
    (JSON.parse(payload) as { readings: { seq: number }[] }).readings.map((r) => r.seq),
  );
}

/** First arrival of each seq, in arrival order (at-least-once delivery may repeat some). */
export function firstArrivals(seqs: readonly number[]): number[] {
  const seen = new Set<number>();
  return seqs.filter((seq) => {
    if (seen.has(seq)) return false;
    seen.add(seq);
    return true;
  });
}
