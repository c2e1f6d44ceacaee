import type { TelemetryReading } from '@coffee-iot/shared';
import { silentLogger } from '../../device/src/ports/logger.js';
import { buildReading } from '../../device/src/sampler-reading.js';
import { DEFAULT_AMBIENT_COMPENSATION } from '../../device/src/sensors/compensation.js';
import { MockSensors } from '../../device/src/sensors/mock-sensors.js';
import { type SpoolAppend, SqliteSpool } from '../../device/src/spool/sqlite-spool.js';

const BOOT_ID = '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';

/**
 * `count` readings one second apart ending now, built exactly as the agent builds them
 * (MockSensors + buildReading), with a CPU temperature as on a Pi, so every optional field
 * (temperatureCpu, temperatureAmbient, accel, gyro, mag) is present: the largest real shape.
 */
export async function mockBacklog(count: number, seed = 42): Promise<SpoolAppend[]> {
  const endMs = Math.floor(Date.now() / 1000) * 1000 - 1000;
  let now = endMs - (count - 1) * 1000;
  const sensors = new MockSensors({ seed, clock: { now: () => now } });
  const items: SpoolAppend[] = [];
  for (let i = 0; i < count; i += 1, now += 1000) {
    const sample = await sensors.read();
    // A Pi SoC idles around 45-55 °C; a slow wave is enough for realistic digits.
    const cpuC = 50 + 4 * Math.sin(i / 3600);
    const reading: Omit<TelemetryReading, 'seq'> = buildReading(
      sample,
      now,
      cpuC,
      DEFAULT_AMBIENT_COMPENSATION,
    );
    items.push({ reading, bootId: BOOT_ID });
  }
  return items;
}

/** A fresh spool at `path` holding `items` (one transaction), closed again; returns its size in bytes. */
export function prefillSpool(path: string, items: readonly SpoolAppend[]): number {
  const spool = openSpool(path);
  spool.appendMany(items);
  const { bytes } = spool.stats();
  spool.close();
  return bytes;
}

/** A spool without caps and without logging, as the agent would open it (WAL, synchronous=FULL). */
export function openSpool(path: string): SqliteSpool {
  return new SqliteSpool({
    path,
    limits: { maxReadings: 0, maxBytes: 0, maxAgeSeconds: 0 },
    logger: silentLogger(),
  });
}
