import { join } from 'node:path';
import type { OutboxPhoto } from './outbox-port.js';

/**
 * On-disk layout of `{stateDir}/outbox/`:
 *   {eventId}.jpg        the photo (committed first)
 *   {eventId}.json       its metadata (committed second: metadata never exists without its photo)
 *   *.tmp                a write in progress; after a crash, an unfinished one
 *   counters.json        persisted drop/recovery counters
 *   sent/                uploaded photos and metadata, when keepUploaded is set
 *   quarantine/          unreadable files moved aside at start, never deleted by the agent
 */
export const OUTBOX_DIR = 'outbox';
export const SENT_DIR = 'sent';
export const QUARANTINE_DIR = 'quarantine';
export const COUNTERS_FILE = 'counters.json';

export const PHOTO_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jpg$/;
export const METADATA_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;

export function outboxDir(stateDir: string): string {
  return join(stateDir, OUTBOX_DIR);
}

export const photoFile = (eventId: string): string => `${eventId}.jpg`;
export const metadataFile = (eventId: string): string => `${eventId}.json`;

/** The metadata file's content (v1). `capturedAt` is for people reading the directory. */
export interface PhotoMetadataV1 extends OutboxPhoto {
  v: 1;
  capturedAt: string;
}

export function formatMetadata(photo: OutboxPhoto): string {
  const metadata: PhotoMetadataV1 = {
    v: 1,
    eventId: photo.eventId,
    deviceId: photo.deviceId,
    capturedAtMs: photo.capturedAtMs,
    capturedAt: new Date(photo.capturedAtMs).toISOString(),
    bytes: photo.bytes,
  };
  return `${JSON.stringify(metadata)}\n`;
}

/** Parses a metadata file; returns the reason it is unusable instead of throwing. */
export function parseMetadata(text: string, expectedEventId: string): OutboxPhoto | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const m = value as Partial<PhotoMetadataV1>;
  if (m.v !== 1) return `unknown version ${JSON.stringify(m.v)}`;
  const problems: string[] = [];
  if (m.eventId !== expectedEventId) problems.push(`eventId ${JSON.stringify(m.eventId)} ≠ file name`);
  if (typeof m.deviceId !== 'string' || m.deviceId === '') problems.push('deviceId missing');
  if (typeof m.capturedAtMs !== 'number' || !Number.isFinite(m.capturedAtMs))
    problems.push('capturedAtMs missing');
  if (problems.length > 0) return problems.join(', ');
  return {
    eventId: expectedEventId,
    deviceId: m.deviceId as string,
    capturedAtMs: m.capturedAtMs as number,
    bytes: typeof m.bytes === 'number' ? m.bytes : 0,
  };
}

export interface OutboxCounters {
  dropped: number;
  recovered: number;
  quarantined: number;
}

export function parseCounters(text: string): OutboxCounters | null {
  try {
    const value = JSON.parse(text) as Partial<OutboxCounters>;
    const count = (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0);
    return {
      dropped: count(value.dropped),
      recovered: count(value.recovered),
      quarantined: count(value.quarantined),
    };
  } catch {
    return null;
  }
}

export function formatCounters(counters: OutboxCounters): string {
  return `${JSON.stringify({ v: 1, ...counters })}\n`;
}
