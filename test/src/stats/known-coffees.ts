import type { Kysely } from 'kysely';
import type { Database } from '../../../cloud/src/db/schema.js';
import { type CoffeeRowSpec, coffeeRow } from './coffee-rows.js';

/**
 * Sixteen coffees from three devices over three UTC days, written so every stat can be counted by
 * hand (the expected numbers live in coffee-stats.test.ts, next to the table below):
 *
 *  label device day   hour status        person smile glasses sunglasses beard mustache
 *  a1    pi-a   03-01 07   analyzed      1      1     0       0          0     0
 *  a2    pi-a   03-01 07   analyzed      1      0     1       0          1     1
 *  a3    pi-a   03-01 12   analyzed      1      1     ?       ?          ?     ?     (local analyzer)
 *  a4    pi-a   03-02 07   unanalyzable  ?      ?     ?       ?          ?     ?
 *  a5    pi-a   03-02 08   analyzed      0      ?     ?       ?          ?     ?     (nobody in the photo)
 *  a6    pi-a   03-03 23   analyzed      1      0     0       1          0     0     (analysed after midnight)
 *  b1    pi-b   03-01 00   analyzed      1      1     0       0          1     0     (inserted last)
 *  b2    pi-b   03-01 09   missing       ?      ?     ?       ?          ?     ?     (no capture time)
 *  b3    pi-b   03-02 07   analyzed      1      1     1       0          0     0
 *  b4    pi-b   03-02 13   analyzed      1      1     ?       ?          ?     ?
 *  b5    pi-b   03-03 07   analyzed      1      0     0       0          1     1
 *  b6    pi-b   03-03 23   analyzed      1      1     0       0          0     1     (same time as c4, inserted after it)
 *  c1    pi-c   03-02 10   analyzed      1      1     0       0          0     0
 *  c2    pi-c   03-02 10   unanalyzable  ?      ?     ?       ?          ?     ?
 *  c3    pi-c   03-03 07   analyzed      1      1     1       0          0     0
 *  c4    pi-c   03-03 23   analyzed      1      0     ?       ?          ?     ?
 */
export const KNOWN_COFFEES = {
  a1: { device: 'pi-a', capturedAt: '2026-03-01T07:05:00.000Z', flags: [1, 1, 0, 0, 0, 0] },
  a2: { device: 'pi-a', capturedAt: '2026-03-01T07:45:00.000Z', flags: [1, 0, 1, 0, 1, 1] },
  a3: {
    device: 'pi-a',
    capturedAt: '2026-03-01T12:10:00.000Z',
    analyzer: 'local',
    flags: [1, 1, null, null, null, null],
  },
  a4: {
    device: 'pi-a',
    capturedAt: '2026-03-02T07:30:00.000Z',
    status: 'unanalyzable',
    reason: 'photo smaller than 80 px',
    analyzer: null,
  },
  a5: { device: 'pi-a', capturedAt: '2026-03-02T08:00:00.000Z', flags: [0, null, null, null, null, null] },
  a6: {
    device: 'pi-a',
    capturedAt: '2026-03-03T23:59:59.999Z',
    analyzedAt: '2026-03-04T00:00:01.999Z',
    flags: [1, 0, 0, 1, 0, 0],
    overrides: {
      face_count: 2,
      smile_confidence: 88.25,
      eyes_open: 1,
      eyes_open_confidence: 97.5,
      age_low: 30,
      age_high: 38,
      emotion: 'CALM',
      emotion_confidence: 80.125,
    },
  },
  b1: { device: 'pi-b', capturedAt: '2026-03-01T00:00:00.000Z', flags: [1, 1, 0, 0, 1, 0] },
  b2: {
    device: 'pi-b',
    capturedAt: null,
    analyzedAt: '2026-03-01T09:20:00.000Z',
    status: 'missing',
    reason: 'photo deleted before analysis',
    analyzer: null,
  },
  b3: { device: 'pi-b', capturedAt: '2026-03-02T07:50:00.000Z', flags: [1, 1, 1, 0, 0, 0] },
  b4: {
    device: 'pi-b',
    capturedAt: '2026-03-02T13:05:00.000Z',
    analyzer: 'local',
    flags: [1, 1, null, null, null, null],
  },
  b5: { device: 'pi-b', capturedAt: '2026-03-03T07:20:00.000Z', flags: [1, 0, 0, 0, 1, 1] },
  b6: { device: 'pi-b', capturedAt: '2026-03-03T23:00:00.000Z', flags: [1, 1, 0, 0, 0, 1] },
  c1: { device: 'pi-c', capturedAt: '2026-03-02T10:00:00.000Z', flags: [1, 1, 0, 0, 0, 0] },
  c2: {
    device: 'pi-c',
    capturedAt: '2026-03-02T10:30:00.000Z',
    status: 'unanalyzable',
    reason: 'not a JPEG',
    analyzer: null,
  },
  c3: { device: 'pi-c', capturedAt: '2026-03-03T07:59:00.000Z', flags: [1, 1, 1, 0, 0, 0] },
  c4: {
    device: 'pi-c',
    capturedAt: '2026-03-03T23:00:00.000Z',
    analyzer: 'local',
    flags: [1, 0, null, null, null, null],
  },
} satisfies Record<string, CoffeeRowSpec>;

export type KnownCoffee = keyof typeof KNOWN_COFFEES;

/** Insertion order: b1 last, so "newest" must come from the coffee time and not the row id. */
const INSERT_ORDER: KnownCoffee[] = [
  'a1',
  'a2',
  'a3',
  'a4',
  'a5',
  'a6',
  'b2',
  'b3',
  'b4',
  'b5',
  'c1',
  'c2',
  'c3',
  'c4',
  'b6',
  'b1',
];

/** Inserts the data set; returns each coffee's photo key by label. */
export async function insertKnownCoffees(db: Kysely<Database>): Promise<Record<KnownCoffee, string>> {
  const keys = {} as Record<KnownCoffee, string>;
  for (const label of INSERT_ORDER) {
    const row = coffeeRow(KNOWN_COFFEES[label] as CoffeeRowSpec);
    await db.insertInto('coffees').values(row).execute();
    keys[label] = row.photo_key;
  }
  return keys;
}
