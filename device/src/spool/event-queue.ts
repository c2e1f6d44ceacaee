import type Database from 'better-sqlite3';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { EventNotStoredError } from './spool-errors.js';
import type { SpooledReading } from './spool-port.js';
import { WriteFailures } from './write-failures.js';

/** Kinds of discrete events the device queues; each maps to its own topic. */
export type EventKind = 'coffee';

export interface EventQueueStats {
  depth: number;
  oldestCreatedAtMs: number | null;
  /** Events dropped by the cap since the spool file was created (persisted). */
  dropped: number;
}

export interface EventQueueOptions {
  db: Database.Database;
  kind: EventKind;
  /** Most queued events of this kind before the oldest are dropped. */
  maxEvents: number;
  logger: Logger;
  /** The database file, for log lines when a write fails. */
  path: string;
  clock: Clock;
}

/** Where a reserved event waits: same table, a kind no publisher reads. */
function reservedKind(kind: EventKind): string {
  return `${kind}:reserved`;
}

/**
 * Durable FIFO of discrete events (coffee presses) in the spool's database. Same contract
 * as the readings: committed (fsynced) before `append` returns, removed only by
 * `acknowledge` after the PUBACK. Rows are shaped like spooled readings (`seq` = id) so the
 * same publisher drains both.
 *
 * A press is answered before its outcome is known (the countdown and the photo take seconds),
 * so the answer rests on a reservation: a complete fallback event stored at press time under a
 * kind no publisher reads, replaced by the real event in one transaction. Reservations left by
 * a crash are released at the next start, so every accepted press ends as an event.
 */
export class SqliteEventQueue {
  private readonly insert: Database.Statement<[string, number, string, string]>;
  private readonly readAfterStatement: Database.Statement<[string, number, number], SpooledReading>;
  private readonly deleteOne: Database.Statement<[number]>;
  private readonly deleteReserved: Database.Statement<[number, string]>;
  private readonly overCap: Database.Statement<[string, number], { id: number }>;
  private readonly statsStatement: Database.Statement<[string], { depth: number; oldest: number | null }>;
  private readonly bumpDropped: Database.Statement<[number]>;
  private readonly droppedStatement: Database.Statement<[], { value: number }>;
  private readonly db: Database.Database;
  private readonly kind: EventKind;
  private readonly logger: Logger;
  private readonly writeFailures: WriteFailures;

  constructor(private readonly options: EventQueueOptions) {
    const { db } = options;
    this.db = db;
    this.kind = options.kind;
    this.logger = options.logger;
    this.writeFailures = new WriteFailures({
      what: `${options.kind} events`,
      path: options.path,
      logger: options.logger,
      clock: options.clock,
    });
    this.insert = db.prepare('INSERT INTO events (kind, created_at_ms, boot_id, json) VALUES (?, ?, ?, ?)');
    this.readAfterStatement = db.prepare(
      'SELECT id AS seq, created_at_ms AS takenAtMs, boot_id AS bootId, json FROM events WHERE kind = ? AND id > ? ORDER BY id LIMIT ?',
    );
    this.deleteOne = db.prepare('DELETE FROM events WHERE id = ?');
    this.deleteReserved = db.prepare('DELETE FROM events WHERE id = ? AND kind = ?');
    this.overCap = db.prepare('SELECT id FROM events WHERE kind = ? ORDER BY id DESC LIMIT -1 OFFSET ?');
    this.statsStatement = db.prepare(
      'SELECT count(*) AS depth, min(created_at_ms) AS oldest FROM events WHERE kind = ?',
    );
    this.bumpDropped = db.prepare("UPDATE meta SET value = value + ? WHERE key = 'events_dropped'");
    this.droppedStatement = db.prepare("SELECT value FROM meta WHERE key = 'events_dropped'");
    this.releaseReservations();
  }

  /**
   * Stores one event durably; over the cap the oldest are dropped, counted and logged. With
   * `replaces`, the reservation of that id is removed in the same transaction.
   * Throws EventNotStoredError (with the cause) when the storage refuses the write.
   */
  append(
    json: string,
    createdAtMs: number,
    bootId: string,
    options: { replaces?: number; eventId?: string } = {},
  ): number {
    let dropped: number[] = [];
    const id = this.write(options.eventId, () =>
      this.db.transaction(() => {
        if (options.replaces !== undefined)
          this.deleteReserved.run(options.replaces, reservedKind(this.kind));
        const { lastInsertRowid } = this.insert.run(this.kind, createdAtMs, bootId, json);
        dropped = this.overCap.all(this.kind, this.options.maxEvents).map((row) => row.id);
        for (const old of dropped) this.deleteOne.run(old);
        if (dropped.length > 0) this.bumpDropped.run(dropped.length);
        return Number(lastInsertRowid);
      })(),
    );
    if (dropped.length > 0) {
      this.logger.warn(
        { kind: this.kind, droppedIds: dropped, maxEvents: this.options.maxEvents },
        'event queue full: dropped the oldest events',
      );
    }
    return id;
  }

  /**
   * Stores `fallbackJson` durably where no publisher reads it and returns its id for `append`'s
   * `replaces`. If the agent stops before that, the fallback is published after the next start.
   */
  reserve(fallbackJson: string, createdAtMs: number, bootId: string, eventId?: string): number {
    return this.write(eventId, () =>
      Number(this.insert.run(reservedKind(this.kind), createdAtMs, bootId, fallbackJson).lastInsertRowid),
    );
  }

  readAfter(afterId: number, limit: number): SpooledReading[] {
    if (limit <= 0) return [];
    return this.readAfterStatement.all(this.kind, afterId, limit);
  }

  acknowledge(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.transaction(() => {
      for (const id of ids) this.deleteOne.run(id);
    })();
  }

  stats(): EventQueueStats {
    const { depth, oldest } = this.statsStatement.get(this.kind) ?? { depth: 0, oldest: null };
    return { depth, oldestCreatedAtMs: oldest, dropped: this.droppedStatement.get()?.value ?? 0 };
  }

  private write<T>(eventId: string | undefined, work: () => T): T {
    let result: T;
    try {
      result = work();
    } catch (error) {
      const cause = this.writeFailures.failed(error, { count: 1, ...(eventId ? { ids: [eventId] } : {}) });
      throw new EventNotStoredError(
        `${this.kind} event${eventId ? ` ${eventId}` : ''} could not be stored: ${(error as Error).message}`,
        cause,
        { cause: error },
      );
    }
    this.writeFailures.succeeded();
    return result;
  }

  /** Reservations of a previous run whose press never got its real event: publish the fallback. */
  private releaseReservations(): void {
    try {
      const { changes } = this.db
        .prepare('UPDATE events SET kind = ? WHERE kind = ?')
        .run(this.kind, reservedKind(this.kind));
      if (changes > 0) {
        this.logger.warn(
          { kind: this.kind, count: changes },
          'presses accepted before the last stop never got their outcome; publishing their fallback events',
        );
      }
    } catch (error) {
      // A full disk at start: they stay reserved and are released at the next start.
      this.logger.error(
        { err: error, kind: this.kind },
        'could not release reserved events; will retry at the next start',
      );
    }
  }
}
