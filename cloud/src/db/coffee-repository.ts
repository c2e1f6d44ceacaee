import type { CoffeeRecord } from '@coffee-iot/shared';

/** A coffee as the pipeline writes it: the stream record plus the analyzer's raw answer. */
export interface NewCoffee {
  record: CoffeeRecord;
  faceDetails: unknown;
}

export interface StoredCoffee {
  record: CoffeeRecord;
  /** When the record reached the ingest stream; null if it has not yet. */
  streamedAt: string | null;
}

export type RecordCoffeeOutcome = 'inserted' | 'duplicate';

/**
 * The coffee database port. Implemented once over Kysely for MySQL and SQLite.
 * Failures to reach the database throw DatabaseUnavailableError (transient: the event is retried).
 */
export interface CoffeeRepository {
  findByPhotoKey(photoKey: string): Promise<StoredCoffee | null>;
  /** In one transaction: the devices row is created or its last_seen_at moved on, and the coffee is
   * inserted unless a row with the same photo key exists ('duplicate', nothing changed). */
  recordCoffee(coffee: NewCoffee): Promise<RecordCoffeeOutcome>;
  /**
   * recordCoffee with the stream write inside the same transaction, so a new photo costs one
   * durable commit rather than two (insert, then markStreamed): the coffee and its device are
   * written, `publish` sends the record to the stream, and the row commits marked streamed at
   * `streamedAt`. If publish throws, the row commits unstreamed (a retry finds it and resends it
   * without analysing the photo again) and publish's error is thrown as it is. A duplicate is
   * not published. publish runs again if the transaction is run again (deadlock victim, a
   * resume waited out): the caller makes a second call send nothing.
   */
  recordStreamedCoffee(
    coffee: NewCoffee,
    publish: () => Promise<void>,
    streamedAt: Date,
  ): Promise<RecordCoffeeOutcome>;
  markStreamed(photoKeys: readonly string[], at: Date): Promise<void>;
}

export class DatabaseUnavailableError extends Error {
  override readonly name: string = 'DatabaseUnavailableError';
}

/**
 * Aurora Serverless is paused (auto-pause at 0 ACU) and resuming: it serves again in seconds, so
 * callers wait and retry (the photo pipeline) or ask the user to (the dashboard: "waking").
 */
export class DatabaseResumingError extends DatabaseUnavailableError {
  override readonly name = 'DatabaseResumingError';
}
