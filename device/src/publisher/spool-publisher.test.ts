import { parseTelemetryEnvelope } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { packOneEvent } from '../coffee/coffee-event.js';
import { systemClock, systemTimers } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { FakeTransport } from '../testing/fake-transport.js';
import { MemorySpool } from '../testing/memory-spool.js';
import { sampleReading } from '../testing/readings.js';
import { PublishRateLimiter } from './rate-limiter.js';
import { type PublishLimits, SpoolPublisher } from './spool-publisher.js';

const BOOT = '11111111-1111-4111-8111-111111111111';
const TOPIC = 'dt/coffee-iot/pi-1/telemetry';
const IOT_LIMITS: PublishLimits = {
  maxPublishesPerSecond: 100,
  maxPayloadBytes: 128 * 1024,
  maxInFlight: 10,
};

function addReadings(spool: MemorySpool, count: number): void {
  for (let i = 0; i < count; i += 1) {
    spool.append(sampleReading(Date.now()), BOOT);
  }
}

function publishedSeqs(transport: FakeTransport): number[] {
  return transport.acknowledged.flatMap((m) => parseTelemetryEnvelope(m.payload).readings.map((r) => r.seq));
}

describe('SpoolPublisher', () => {
  let spool: MemorySpool;
  let transport: FakeTransport;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-26T10:00:00.000Z') });
    spool = new MemorySpool();
    transport = new FakeTransport();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function createPublisher(overrides: Partial<{ limits: PublishLimits; batchMs: number }> = {}) {
    return new SpoolPublisher({
      queue: spool,
      deviceId: 'pi-1',
      topic: TOPIC,
      limits: overrides.limits ?? IOT_LIMITS,
      rateLimiter: new PublishRateLimiter(
        (overrides.limits ?? IOT_LIMITS).maxPublishesPerSecond,
        1000,
        systemClock,
        systemTimers,
      ),
      batchMs: overrides.batchMs ?? 0,
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
    });
  }

  it('publishes each live reading on its own and removes it from the spool only after the PUBACK', async () => {
    const publisher = createPublisher();
    transport.autoAck = false;
    await transport.connect();
    publisher.start();
    publisher.attach(transport);

    addReadings(spool, 1);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.pending).toHaveLength(1);
    expect(transport.pending[0]?.topic).toBe(TOPIC);
    expect(spool.stats().depth).toBe(1);

    transport.ackPending();
    await vi.advanceTimersByTimeAsync(0);
    expect(spool.stats().depth).toBe(0);
    expect(publisher.stats().lastPubackAtMs).toBe(Date.now());

    addReadings(spool, 1);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(0);
    transport.ackPending();
    await vi.advanceTimersByTimeAsync(0);
    expect(publishedSeqs(transport)).toEqual([1, 2]);
    expect(transport.acknowledged.map((m) => parseTelemetryEnvelope(m.payload).readings.length)).toEqual([
      1, 1,
    ]);
    await publisher.stop(100);
  });

  it('resends everything unacknowledged, in order, after the connection comes back', async () => {
    const publisher = createPublisher();
    transport.autoAck = false;
    await transport.connect();
    publisher.start();
    publisher.attach(transport);
    for (let i = 0; i < 3; i += 1) {
      addReadings(spool, 1);
      publisher.notify();
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(transport.pending).toHaveLength(3);
    transport.ackPending(1);
    transport.dropConnection();
    publisher.detach();
    await vi.advanceTimersByTimeAsync(0);
    expect(spool.stats().depth).toBe(2);

    addReadings(spool, 2); // taken while offline
    await transport.connect();
    transport.autoAck = true;
    publisher.attach(transport);
    await vi.advanceTimersByTimeAsync(0);
    expect(publishedSeqs(transport)).toEqual([1, 2, 3, 4, 5]);
    expect(spool.stats().depth).toBe(0);
    await publisher.stop(100);
  });

  it('catches up a backlog in full envelopes, within the publish rate, payload and in-flight limits', async () => {
    const limits: PublishLimits = { maxPublishesPerSecond: 5, maxPayloadBytes: 2048, maxInFlight: 3 };
    const publisher = createPublisher({ limits });
    addReadings(spool, 200);
    transport.autoAck = false;
    await transport.connect();
    publisher.start();
    publisher.attach(transport);

    let maxPending = 0;
    for (let step = 0; step < 400 && spool.stats().depth > 0; step += 1) {
      await vi.advanceTimersByTimeAsync(50);
      maxPending = Math.max(maxPending, transport.pending.length);
      transport.ackPending();
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(spool.stats().depth).toBe(0);
    expect(publishedSeqs(transport)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(maxPending).toBeLessThanOrEqual(3);
    for (const message of transport.acknowledged)
      expect(Buffer.byteLength(message.payload)).toBeLessThanOrEqual(2048);
    const { publishTimes } = transport;
    for (const start of publishTimes) {
      expect(publishTimes.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
    }
    // Batching: far fewer messages than readings.
    expect(transport.acknowledged.length).toBeLessThan(40);
    await publisher.stop(100);
  });

  it('with batchSeconds holds live readings until the oldest is that old, then sends them together', async () => {
    const publisher = createPublisher({ batchMs: 10_000 });
    await transport.connect();
    publisher.start();
    publisher.attach(transport);
    for (let second = 0; second < 10; second += 1) {
      addReadings(spool, 1);
      publisher.notify();
      await vi.advanceTimersByTimeAsync(999);
      expect(transport.acknowledged).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.acknowledged).toHaveLength(1);
    expect(publishedSeqs(transport)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await publisher.stop(100);
  });

  it('judges held readings by a batch length changed at run time: shorter sends what is due at once', async () => {
    const publisher = createPublisher({ batchMs: 60_000 });
    await transport.connect();
    publisher.start();
    publisher.attach(transport);
    addReadings(spool, 3);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.acknowledged).toHaveLength(0);

    publisher.setBatchMs(15_000); // the oldest is 10 s old: due in 5 s, not in 50 s
    await vi.advanceTimersByTimeAsync(4999);
    expect(transport.acknowledged).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(publishedSeqs(transport)).toEqual([1, 2, 3]);

    addReadings(spool, 2);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(1000);
    publisher.setBatchMs(0); // no batching: what waits goes now
    await vi.advanceTimersByTimeAsync(0);
    expect(publishedSeqs(transport)).toEqual([1, 2, 3, 4, 5]);
    await publisher.stop(100);
  });

  it('publishes nothing while disconnected and keeps every reading', async () => {
    const publisher = createPublisher();
    publisher.start();
    addReadings(spool, 50);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.acknowledged).toHaveLength(0);
    expect(spool.stats().depth).toBe(50);
    await publisher.stop(100);
  });

  it('on stop waits for in-flight PUBACKs, but no longer than the drain time', async () => {
    const publisher = createPublisher();
    transport.autoAck = false;
    await transport.connect();
    publisher.start();
    publisher.attach(transport);
    addReadings(spool, 1);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(0);

    const stopped = publisher.stop(2000);
    let done = false;
    void stopped.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(spool.stats().depth).toBe(1); // unacknowledged stays spooled
  });

  it('stops promptly even while waiting for a rate slot held by an unacknowledged publish', async () => {
    const limits: PublishLimits = { maxPublishesPerSecond: 1, maxPayloadBytes: 128 * 1024, maxInFlight: 10 };
    const publisher = createPublisher({ limits });
    transport.autoAck = false;
    await transport.connect();
    publisher.start();
    publisher.attach(transport);
    addReadings(spool, 1);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(0);
    addReadings(spool, 1); // the loop now waits for the broker to confirm the first
    publisher.notify();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.pending).toHaveLength(1);

    let stopped = false;
    void publisher.stop(500).then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(stopped).toBe(true);
    expect(spool.stats().depth).toBe(2);
  });

  it('publishes with the packing strategy it is given (coffee events go out one per message)', async () => {
    const publisher = new SpoolPublisher({
      queue: spool,
      pack: packOneEvent,
      deviceId: 'pi-1',
      topic: 'dt/coffee-iot/pi-1/coffee',
      limits: IOT_LIMITS,
      rateLimiter: new PublishRateLimiter(100, 1000, systemClock, systemTimers),
      batchMs: 0,
      clock: systemClock,
      timers: systemTimers,
      logger: silentLogger(),
    });
    addReadings(spool, 3);
    await transport.connect();
    publisher.start();
    publisher.attach(transport);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.acknowledged.map((m) => (JSON.parse(m.payload) as { seq: number }).seq)).toEqual([
      1, 2, 3,
    ]);
    await publisher.stop(100);
  });

  it('drops and counts a reading that can never fit the payload limit, instead of blocking', async () => {
    const limits: PublishLimits = { maxPublishesPerSecond: 100, maxPayloadBytes: 100, maxInFlight: 10 };
    const publisher = createPublisher({ limits });
    await transport.connect();
    publisher.start();
    publisher.attach(transport);
    addReadings(spool, 1);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(publisher.stats().oversizedDropped).toBe(1);
    expect(spool.stats().depth).toBe(0);
    await publisher.stop(100);
  });
  it('survives a PUBACK whose delete the full disk refuses: the readings stay spooled for a resend', async () => {
    let refuse = true;
    const acknowledge = spool.acknowledge.bind(spool);
    spool.acknowledge = (seqs) => {
      if (refuse) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      acknowledge(seqs);
    };
    const publisher = createPublisher();
    await transport.connect();
    publisher.start();
    publisher.attach(transport);

    addReadings(spool, 1);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.acknowledged).toHaveLength(1);
    expect(spool.stats().depth).toBe(1);
    expect(publisher.stats()).toMatchObject({ acknowledgedReadings: 0, lastPubackAtMs: Date.now() });

    refuse = false;
    addReadings(spool, 1);
    publisher.notify();
    await vi.advanceTimersByTimeAsync(0);
    expect(publishedSeqs(transport)).toEqual([1, 2]);
    expect(spool.readAfter(0, 10).map((row) => row.seq)).toEqual([1]);
    await publisher.stop(100);
  });
});
