import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect.js';

// Migrations take Kysely<unknown>: they must keep working when the row types in schema.ts move on.

const FLAG_COLUMNS = [
  'person_present',
  'smile',
  'eyeglasses',
  'sunglasses',
  'beard',
  'mustache',
  'eyes_open',
];
const CONFIDENCE_COLUMNS = ['smile', 'eyeglasses', 'sunglasses', 'beard', 'mustache', 'eyes_open', 'emotion'];

export async function up(db: Kysely<unknown>): Promise<void> {
  const mysql = dialectOf(db) === 'mysql';
  const time = sql`datetime(3)`;
  // MySQL tables take the server's default character set (latin1 on MariaDB before 11.6, which
  // refuses "☕" in a location) and a case-insensitive collation (which would make "Pi-1" and
  // "pi-1" one device). utf8mb4_bin stores any text and compares it like SQLite does.
  const tableOptions = mysql ? sql`default character set utf8mb4 collate utf8mb4_bin` : sql``;

  await db.schema
    .createTable('devices')
    .addColumn('thing_name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('owner', 'varchar(200)')
    .addColumn('location', 'varchar(200)')
    .addColumn('model', 'varchar(200)')
    .addColumn('first_seen_at', time)
    .addColumn('last_seen_at', time)
    .addColumn('updated_at', time, (c) => c.notNull())
    .modifyEnd(tableOptions)
    .execute();

  let coffees = db.schema
    .createTable('coffees')
    // SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
    .addColumn('id', mysql ? 'bigint' : 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('photo_key', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('device_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('event_id', 'char(36)', (c) => c.notNull())
    .addColumn('captured_at', time)
    .addColumn('coffee_day', 'char(10)', (c) => c.notNull())
    .addColumn('coffee_hour', 'smallint', (c) => c.notNull())
    .addColumn('analyzed_at', time, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('reason', 'varchar(500)')
    .addColumn('analyzer', 'varchar(32)')
    .addColumn('face_count', 'integer');
  for (const flag of FLAG_COLUMNS) coffees = coffees.addColumn(flag, sql`tinyint`);
  for (const name of CONFIDENCE_COLUMNS)
    coffees = coffees.addColumn(`${name}_confidence`, 'double precision');
  await coffees
    .addColumn('age_low', 'smallint')
    .addColumn('age_high', 'smallint')
    .addColumn('emotion', 'varchar(32)')
    .addColumn('face_details', mysql ? sql`mediumtext` : 'text')
    .modifyEnd(tableOptions)
    .execute();

  await db.schema
    .createIndex('coffees_device_day')
    .on('coffees')
    .columns(['device_id', 'coffee_day'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('coffees').execute();
  await db.schema.dropTable('devices').execute();
}
