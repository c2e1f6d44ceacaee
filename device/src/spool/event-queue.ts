import type Database from 'better-sqlite3';
import type { Logger } from '../ports/logger.js';
import type { SpooledReading } from './spool-port.js';

/** Kinds of discrete events the device queues; each maps to its own topic. */
export type EventKind = 'coffee';

export interface EventQueueStats {
  depth: number;
  oldestCreatedAtMs: number | null;
  /** Events dropped by the cap since the spool file was created (persisted). */
  dropped: number;
}

/**
 * Durable FIFO of discrete events (coffee presses) in the spool's database. Same contract
 * as the readings: committed (fsynced) before `append` returns, removed only by
 * `acknowledge` after the PUBACK. Rows are shaped like spooled readings (`seq` = id) so the
 * same publisher drains both.
 */
export class SqliteEventQueue {
  private readonly insert: Database.Statement<[string, number, string, string]>;
  private readonly readAfterStatement: Database.Statement<[string, number, number], SpooledReading>;
  private readonly deleteOne: Database.Statement<[number]>;
  private readonly overCap: Database.Statement<[string, number], { id: number }>;
  private readonly statsStatement: Database.Statement<[string], { depth: number; oldest: number | null }>;
  private readonly bumpDropped: Database.Statement<[number]>;
  private readonly droppedStatement: Database.Statement<[], { value: number }>;

  constructor(
    private readonly db: Database.Database,
    private readonly kind: EventKind,
    private readonly maxEvents: number,
    private readonly logger: Logger,
  ) {
    this.insert = db.prepare('INSERT INTO events (kind, created_at_ms, boot_id, json) VALUES (?, ?, ?, ?)');
    this.readAfterStatement = db.prepare(
      'SELECT id AS seq, created_at_ms AS takenAtMs, boot_id AS bootId, json FROM events WHERE kind = ? AND id > ? ORDER BY id LIMIT ?',
    );
    this.deleteOne = db.prepare('DELETE FROM events WHERE id = ?');
    this.overCap = db.prepare('SELECT id FROM events WHERE kind = ? ORDER BY id DESC LIMIT -1 OFFSET ?');
    this.statsStatement = db.prepare(
      'SELECT count(*) AS depth, min(created_at_ms) AS oldest FROM events WHERE kind = ?',
    );
    this.bumpDropped = db.prepare("UPDATE meta SET value = value + ? WHERE key = 'events_dropped'");
    this.droppedStatement = db.prepare("SELECT value FROM meta WHERE key = 'events_dropped'");
  }

  /** Stores one event durably; over the cap the oldest are dropped, counted and logged. */
  append(json: string, createdAtMs: number, bootId: string): number {
    let dropped: number[] = [];
    const id = this.db.transaction(() => {
      const { lastInsertRowid } = this.insert.run(this.kind, createdAtMs, bootId, json);
      dropped = this.overCap.all(this.kind, this.maxEvents).map((row) => row.id);
      for (const old of dropped) this.deleteOne.run(old);
      if (dropped.length > 0) this.bumpDropped.run(dropped.length);
      return Number(lastInsertRowid);
    })();
    if (dropped.length > 0) {
      this.logger.warn(
        { kind: this.kind, droppedIds: dropped, maxEvents: this.maxEvents },
        'event queue full: dropped the oldest events',
      );
    }
    return id;
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
}
