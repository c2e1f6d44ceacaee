import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TelemetryEnvelope } from '@coffee-iot/shared';

/** The fixed clock of the import tests: readings up to a day after it are plausible. */
export const IMPORT_NOW = new Date('2026-03-20T00:00:00.000Z');

export const HEADER = 'device_id,ts,temperature,humidity,pressure,pitch,roll,yaw';

/** test/fixtures/import/NAME */
export function importFixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/import/${name}`, import.meta.url));
}

export function fixtureStream(name: string): Readable {
  return createReadStream(importFixturePath(name));
}

/** A CSV text as a stream of small chunks, so records straddle chunk boundaries. */
export function textStream(text: string, chunkBytes = 7): Readable {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunkBytes) {
    chunks.push(bytes.subarray(start, start + chunkBytes));
  }
  return Readable.from(chunks, { objectMode: false });
}

/** A telemetry stream record: the envelope plus its type. */
export type TelemetryRecord = TelemetryEnvelope & { type: 'telemetry'; thing: string };
