import type { Device } from '../../../cloud/src/db/device-repository.js';
import { coffee, reading } from './export-lake-fixture.js';

/**
 * One known day in the lake, shared by the local export's tests and the Athena SQL's: readings
 * and coffees on the day, just before and after it, one measured on the day but received three
 * days later, a device the registry does not know, and old coffee rows whose photo key makes no
 * valid URL.
 */
export const DAY = '2026-03-04';
export const NOW = new Date('2026-03-05T06:00:00.000Z');
export const BUCKET = 'coffee-photos';

export function device(thingName: string, owner: string, location: string, model: string): Device {
  return {
    thingName,
    owner,
    location,
    model,
    firstSeenAt: null,
    lastSeenAt: null,
    updatedAt: NOW.toISOString(),
  };
}
export const ADA = device('pi-a', 'Ada', 'Kitchen, 2nd floor', 'Gaggia Classic');
export const GHOST = device('pi-ghost', 'Grace', 'Lab', 'Rancilio Silvia');

/** 1,025 bytes but only 516 characters: S3 limits keys in bytes. */
const LONG_KEY = `photos/${'é'.repeat(509)}`;

export const TELEMETRY = [
  reading('pi-a', 1, '2026-03-03T23:59:59.999Z'), // the day before
  reading('pi-a', 2, '2026-03-04T00:00:00.000Z'), // the day's first instant
  reading('pi-a', 3, '2026-03-04T12:00:00.250Z'),
  reading('pi-a', 4, '2026-03-04T23:59:59.999Z'), // the day's last millisecond
  reading('pi-a', 5, '2026-03-05T00:00:00.000Z'), // the next day
  // Measured on the day, received three days later (a device catching up after an outage).
  reading('pi-a', 6, '2026-03-04T15:00:00.000Z', '2026-03-07T09:00:00.000Z'),
  reading('pi-ghost', 1, '2026-03-04T08:00:00.000Z'),
  reading('pi-ghost', 2, '2026-03-04T08:00:01.000Z'),
];

const at = (capturedAt: string | null, analyzedAt: string) => ({ capturedAt, analyzedAt });
export const COFFEES = [
  coffee(
    'pi-a',
    'e-ok-1',
    'photos/pi-a/2026/03/04/e-ok-1.jpg',
    at('2026-03-04T08:00:00.000Z', '2026-03-04T08:00:02.000Z'),
  ),
  // No capture time: the analysis time says which day.
  coffee('pi-a', 'e-ok-2', 'photos/pi-a/2026/03/04/e-ok-2.jpg', at(null, '2026-03-04T09:00:00.000Z')),
  // Taken the day before, analysed on the day: belongs to the day before.
  coffee(
    'pi-a',
    'e-prev',
    'photos/pi-a/2026/03/03/e-prev.jpg',
    at('2026-03-03T23:50:00.000Z', '2026-03-04T00:10:00.000Z'),
  ),
  coffee(
    'pi-ghost',
    'e-ghost',
    'photos/pi-ghost/2026/03/04/e-ghost.jpg',
    at('2026-03-04T10:00:00.000Z', '2026-03-04T10:00:01.000Z'),
  ),
  // Old rows whose photo key makes no valid URL.
  coffee('pi-a', 'e-empty', '', at('2026-03-04T11:00:00.000Z', '2026-03-04T11:00:01.000Z')),
  coffee(
    'pi-a',
    'e-newline',
    'photos/pi-a/x.jpg\nrm -rf /',
    at('2026-03-04T11:01:00.000Z', '2026-03-04T11:01:01.000Z'),
  ),
  coffee('pi-a', 'e-null', null, at('2026-03-04T11:02:00.000Z', '2026-03-04T11:02:01.000Z')),
  coffee('pi-ghost', 'e-long', LONG_KEY, at('2026-03-04T11:03:00.000Z', '2026-03-04T11:03:01.000Z')),
];

/**
 * What the Athena export's count query finds on the known day: 5 readings, not the local
 * export's 6, since the reading received three days late is outside the one-day margin.
 */
export const KNOWN_DAY_ATHENA_COUNTS = {
  telemetry_rows: 5n,
  coffee_rows: 7n,
  coffees_left_out: 4n,
  unregistered_devices: 1n,
  left_out_missing_photo_key: 1n,
  left_out_control_character: 1n,
  left_out_not_s3_or_https: 0n,
  left_out_invalid_bucket_name: 0n,
  left_out_empty_object_key: 1n,
  left_out_object_key_too_long: 1n,
  left_out_invalid_https_url: 0n,
};
