import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * The serial allow-list of fleet provisioning by claim (docs/fleet-provisioning.md): one row per
 * Raspberry Pi serial an operator allowed. The pre-provisioning hook claims a row by setting
 * `certificate_id`, in one UPDATE that matches only an unclaimed row, so a serial provisions once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const mysql = dialectOf(db) === 'mysql';
  const time = sql`datetime(3)`;
  // As in 0001: utf8mb4_bin compares like SQLite (a serial differing in case is another serial).
  const tableOptions = mysql ? sql`default character set utf8mb4 collate utf8mb4_bin` : sql``;
  await db.schema
    .createTable('provisioning_serials')
    .addColumn('serial', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('note', 'varchar(200)')
    .addColumn('allowed_at', time, (c) => c.notNull())
    // Certificate ids are 64 hex characters.
    .addColumn('certificate_id', 'char(64)')
    .addColumn('claim_certificate_id', 'char(64)')
    .addColumn('claimed_at', time)
    .modifyEnd(tableOptions)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('provisioning_serials').execute();
}
