import type { CoffeeDatabase } from '../db/coffee-database.js';
import { unavailableAsError } from '../db/database-errors.js';
import { fromDbTime, fromDbTimeOrNull, toDbTime } from '../db/time.js';
import {
  SERIAL_NUMBER_PATTERN,
  type SerialAllowList,
  type SerialClaimOutcome,
} from './pre-provisioning-decision.js';

/** One allowed serial, as an operator lists them. Times are ISO-8601 UTC. */
export interface AllowedSerial {
  serial: string;
  note: string | null;
  allowedAt: string;
  /** The certificate it was provisioned with; null while unused. */
  certificateId: string | null;
  claimedAt: string | null;
}

/** The operator's side of the allow-list (docs/fleet-provisioning.md). */
export interface SerialAllowListAdmin extends SerialAllowList {
  /** Adds serials (an already listed one keeps its row and its claim). Returns how many were new. */
  allow(serials: readonly string[], note: string | null, now: Date): Promise<number>;
  /** Makes a used serial provisionable again (a Pi re-flashed after losing its certificate). */
  release(serial: string): Promise<boolean>;
  /** Removes a serial from the allow-list. */
  remove(serial: string): Promise<boolean>;
  list(): Promise<AllowedSerial[]>;
}

export class InvalidSerialError extends Error {
  override readonly name = 'InvalidSerialError';
  constructor(readonly serials: readonly string[]) {
    super(
      `not a serial number (1-64 letters, digits, '_' or '-'): ${serials
        .slice(0, 5)
        .map((s) => JSON.stringify(s))
        .join(', ')}${serials.length > 5 ? ` and ${serials.length - 5} more` : ''}`,
    );
  }
}

/** The allow-list in the registry database (table provisioning_serials, migration 0003). */
export function createSqlSerialAllowList(database: CoffeeDatabase): SerialAllowListAdmin {
  const { db, dialect } = database;
  return {
    claim: (claim) =>
      unavailableAsError(`claim serial ${claim.serial}`, async (): Promise<SerialClaimOutcome> => {
        // One statement matching only an unclaimed row: of two concurrent claims, one updates it.
        const updated = await db
          .updateTable('provisioning_serials')
          .set({
            certificate_id: claim.certificateId,
            claim_certificate_id: claim.claimCertificateId || null,
            claimed_at: toDbTime(claim.at),
          })
          .where('serial', '=', claim.serial)
          .where('certificate_id', 'is', null)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 1) return 'claimed';
        const row = await db
          .selectFrom('provisioning_serials')
          .select('certificate_id')
          .where('serial', '=', claim.serial)
          .executeTakeFirst();
        if (row === undefined) return 'not-listed';
        // The same certificate again: IoT Core or the device retried; the answer stays yes.
        return row.certificate_id === claim.certificateId ? 'claimed' : 'already-used';
      }),

    allow: async (serials, note, now) => {
      const bad = serials.filter((serial) => !SERIAL_NUMBER_PATTERN.test(serial));
      if (bad.length > 0) throw new InvalidSerialError(bad);
      const unique = [...new Set(serials)];
      if (unique.length === 0) return 0;
      return unavailableAsError('allow serials', async () => {
        const rows = unique.map((serial) => ({ serial, note, allowed_at: toDbTime(now) }));
        const insert = db.insertInto('provisioning_serials').values(rows);
        const result = await (dialect === 'mysql'
          ? insert.ignore()
          : insert.onConflict((conflict) => conflict.column('serial').doNothing())
        ).executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0);
      });
    },

    release: (serial) =>
      unavailableAsError(`release serial ${serial}`, async () => {
        const result = await db
          .updateTable('provisioning_serials')
          .set({ certificate_id: null, claim_certificate_id: null, claimed_at: null })
          .where('serial', '=', serial)
          .where('certificate_id', 'is not', null)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) === 1;
      }),

    remove: (serial) =>
      unavailableAsError(`remove serial ${serial}`, async () => {
        const result = await db
          .deleteFrom('provisioning_serials')
          .where('serial', '=', serial)
          .executeTakeFirst();
        return Number(result.numDeletedRows) === 1;
      }),

    list: () =>
      unavailableAsError('list serials', async () => {
        const rows = await db.selectFrom('provisioning_serials').selectAll().orderBy('serial').execute();
        return rows.map((row) => ({
          serial: row.serial,
          note: row.note,
          allowedAt: fromDbTime(row.allowed_at),
          certificateId: row.certificate_id,
          claimedAt: fromDbTimeOrNull(row.claimed_at),
        }));
      }),
  };
}
