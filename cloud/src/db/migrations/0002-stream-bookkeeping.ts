import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * `streamed_at` records when a coffee's record reached the ingest stream, so a retried S3 event
 * resends exactly the rows whose stream write failed. Rows written before this migration were
 * streamed by the code of their time: they are marked as streamed at their analysis time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('coffees').addColumn('streamed_at', sql`datetime(3)`).execute();
  await sql`update coffees set streamed_at = analyzed_at`.execute(db);
  await db.schema.createIndex('coffees_day').on('coffees').column('coffee_day').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // MySQL names the table of the index; SQLite's DROP INDEX takes no ON clause.
  const dropIndex = db.schema.dropIndex('coffees_day');
  await (dialectOf(db) === 'mysql' ? dropIndex.on('coffees') : dropIndex).execute();
  await db.schema.alterTable('coffees').dropColumn('streamed_at').execute();
}
