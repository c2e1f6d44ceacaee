import { type Kysely, sql, type Transaction } from 'kysely';
import type { CoffeeDatabase } from './coffee-database.js';
import type { CoffeeRepository, NewCoffee, RecordCoffeeOutcome } from './coffee-repository.js';
import { coffeeTime, fromCoffeeRow, STORED_COFFEE_COLUMNS, toCoffeeRow } from './coffee-row.js';
import { errorCode, errorMessage, isDeadlock, unavailableAsError } from './database-errors.js';
import type { SqlDialectName } from './dialect.js';
import type { Database, DbTime } from './schema.js';
import { toDbTime } from './time.js';

/** markStreamed was given photo keys that have no row: the caller streamed a coffee it never stored. */
export class UnknownPhotoKeyError extends Error {
  override readonly name = 'UnknownPhotoKeyError';
  constructor(readonly photoKeys: readonly string[]) {
    super(`no coffee stored for photo key(s): ${photoKeys.join(', ')}`);
  }
}

export interface CoffeeRepositoryOptions {
  /** For devices.updated_at. */
  now?: () => Date;
}

// InnoDB picks a victim when concurrent transactions lock the same device row or photo key in
// opposite orders; the victim is rolled back whole and can simply run again.
const DEADLOCK_ATTEMPTS = 3;
// Keeps every statement far below SQLite's and MySQL's parameter limits.
const KEYS_PER_STATEMENT = 500;

/**
 * The unique index on photo_key refused the row: the photo is already recorded. Both dialects name
 * the column in the message (MariaDB "for key 'photo_key'", MySQL 8 "for key 'coffees.photo_key'",
 * SQLite "UNIQUE constraint failed: coffees.photo_key"), so no other unique violation is mistaken
 * for it. A plain INSERT is used rather than INSERT IGNORE, which would also turn truncation and
 * other data errors into warnings, or ON DUPLICATE KEY UPDATE, whose affected-rows count depends
 * on mysql2's FOUND_ROWS flag.
 */
function isDuplicatePhotoKey(error: unknown): boolean {
  const code = errorCode(error);
  return (
    (code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE') &&
    errorMessage(error).includes('photo_key')
  );
}

/** first_seen_at moves back and last_seen_at forward: photos can arrive out of order. */
async function recordDeviceSeen(
  trx: Transaction<Database>,
  dialect: SqlDialectName,
  thingName: string,
  seenAt: DbTime,
  now: DbTime,
): Promise<void> {
  const first = sql.ref<DbTime | null>('devices.first_seen_at');
  const last = sql.ref<DbTime | null>('devices.last_seen_at');
  const updates = {
    first_seen_at: sql<DbTime>`case when ${first} is null or ${first} > ${seenAt} then ${seenAt} else ${first} end`,
    last_seen_at: sql<DbTime>`case when ${last} is null or ${last} < ${seenAt} then ${seenAt} else ${last} end`,
    updated_at: now,
  };
  const insert = trx.insertInto('devices').values({
    thing_name: thingName,
    owner: null,
    location: null,
    model: null,
    first_seen_at: seenAt,
    last_seen_at: seenAt,
    updated_at: now,
  });
  await (dialect === 'mysql'
    ? insert.onDuplicateKeyUpdate(updates)
    : insert.onConflict((conflict) => conflict.column('thing_name').doUpdateSet(updates))
  ).execute();
}

/** The stream write of recordStreamedCoffee: inside the transaction, after every write. */
interface InTransactionPublish {
  publish: () => Promise<void>;
  streamedAt: DbTime;
  /** publish's error, when it threw: the row was committed unstreamed. */
  failure?: { error: unknown };
}

async function recordOnce(
  db: Kysely<Database>,
  dialect: SqlDialectName,
  coffee: NewCoffee,
  now: DbTime,
  stream?: InTransactionPublish,
): Promise<RecordCoffeeOutcome> {
  const row = toCoffeeRow(coffee);
  return db.transaction().execute(async (trx) => {
    // The coffee first: a duplicate then leaves the device row untouched. The failed INSERT is
    // undone by itself on both dialects, so the (empty) transaction commits cleanly.
    try {
      await trx
        .insertInto('coffees')
        .values(stream === undefined ? row : { ...row, streamed_at: stream.streamedAt })
        .execute();
    } catch (error) {
      if (isDuplicatePhotoKey(error)) return 'duplicate';
      throw error;
    }
    await recordDeviceSeen(trx, dialect, coffee.record.deviceId, toDbTime(coffeeTime(coffee.record)), now);
    if (stream !== undefined) {
      // Last, after every statement that can deadlock: only the COMMIT follows a sent record.
      try {
        await stream.publish();
      } catch (error) {
        stream.failure = { error };
        // Keep the row, unstreamed: the retry resends it without a second analysis.
        await trx
          .updateTable('coffees')
          .set({ streamed_at: null })
          .where('photo_key', '=', row.photo_key)
          .execute();
      }
    }
    return 'inserted';
  });
}

async function retryDeadlocks<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
    }
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** The CoffeeRepository over Kysely, for MySQL (Aurora, through RDS Proxy) and SQLite alike. */
export function createCoffeeRepository(
  database: CoffeeDatabase,
  options: CoffeeRepositoryOptions = {},
): CoffeeRepository {
  const { db, dialect } = database;
  const now = options.now ?? (() => new Date());

  return {
    findByPhotoKey: (photoKey) =>
      unavailableAsError(`findByPhotoKey ${photoKey}`, async () => {
        const row = await db
          .selectFrom('coffees')
          // The duplicate check runs for every event: leave the raw face details (KBs) behind.
          .select(STORED_COFFEE_COLUMNS)
          .where('photo_key', '=', photoKey)
          .executeTakeFirst();
        return row === undefined ? null : fromCoffeeRow(row);
      }),

    recordCoffee: (coffee) =>
      unavailableAsError(`recordCoffee ${coffee.record.photoKey}`, () =>
        retryDeadlocks(() => recordOnce(db, dialect, coffee, toDbTime(now()))),
      ),

    recordStreamedCoffee: async (coffee, publish, streamedAt) => {
      const stream: InTransactionPublish = { publish, streamedAt: toDbTime(streamedAt) };
      const outcome = await unavailableAsError(`recordStreamedCoffee ${coffee.record.photoKey}`, () =>
        retryDeadlocks(() => {
          delete stream.failure;
          return recordOnce(db, dialect, coffee, toDbTime(now()), stream);
        }),
      );
      // Thrown outside unavailableAsError: a stream failure is not the database's.
      if (stream.failure !== undefined) throw stream.failure.error;
      return outcome;
    },

    /** Keeps the first time a coffee reached the stream: a later resend does not move it. */
    markStreamed: (photoKeys, at) =>
      unavailableAsError(`markStreamed ${photoKeys.length} photo key(s)`, async () => {
        const streamedAt = toDbTime(at);
        const missing: string[] = [];
        for (const keys of chunks([...new Set(photoKeys)], KEYS_PER_STATEMENT)) {
          const result = await db
            .updateTable('coffees')
            .set({ streamed_at: streamedAt })
            .where('photo_key', 'in', keys)
            .where('streamed_at', 'is', null)
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) === keys.length) continue;
          const found = await db
            .selectFrom('coffees')
            .select('photo_key')
            .where('photo_key', 'in', keys)
            .execute();
          const known = new Set(found.map((row) => row.photo_key));
          missing.push(...keys.filter((key) => !known.has(key)));
        }
        if (missing.length > 0) throw new UnknownPhotoKeyError(missing);
      }),
  };
}
