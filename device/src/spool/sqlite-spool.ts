import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TelemetryReading } from '@coffee-iot/shared';
import Database from 'better-sqlite3';
import { type Clock, systemClock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { SqliteEventQueue } from './event-queue.js';
import {
  ReadingsNotStoredError,
  SpoolClosedError,
  SpoolConfigError,
  SpoolCorruptError,
  SpoolOpenError,
  SpoolVersionError,
  SpoolWriteError,
} from './spool-errors.js';
import type { ReadingSpool, SpooledReading, SpoolLimits, SpoolStats } from './spool-port.js';
import { migrate } from './sqlite-schema.js';
import { type CauseCounts, noCauseCounts, STORAGE_CAUSES } from './storage-cause.js';
import { WriteFailures } from './write-failures.js';

export interface SqliteSpoolOptions {
  /** The database file, e.g. `${stateDir}/spool.sqlite`. Its directory is created if missing. */
  path: string;
  limits: SpoolLimits;
  logger: Logger;
  /** For age-based expiry. */
  clock?: Clock;
  /** Most queued events per kind before the oldest are dropped (default 10,000). */
  maxEvents?: number;
  /**
   * Called with the open database before any statement is prepared. Tests use it to make SQLite
   * refuse writes for real (`max_page_count` → SQLITE_FULL, `query_only` → SQLITE_READONLY).
   */
  onOpen?: (db: Database.Database) => void;
}

/** Ten thousand presses: months of coffee offline, a few MB at most. */
const DEFAULT_MAX_EVENTS = 10_000;

export interface SpoolAppend {
  reading: Omit<TelemetryReading, 'seq'>;
  bootId: string;
}

/** Counters mirrored in memory so stats and caps cost no table scan; changed only on commit. */
interface Counters {
  lastSeq: number;
  dropped: number;
  depth: number;
  bytes: number;
  /** Readings that could not be stored, per cause (persisted by the next write that succeeds). */
  unstored: CauseCounts;
}

interface Drop {
  count: number;
  fromSeq: number;
  toSeq: number;
  reasons: string[];
}

type Statement<P extends unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * The durable spool: SQLite in WAL mode with synchronous=FULL, so a reading's commit is fsynced
 * before append() returns and a SIGKILL or power cut never leaves a torn file. Drops (caps) and
 * the seq counter change in the same transaction as the rows they concern.
 */
export class SqliteSpool implements ReadingSpool {
  private readonly db: Database.Database;
  private readonly limits: SpoolLimits;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly statements: {
    insert: Statement<[number, number, string, number, string]>;
    setMeta: Statement<[number, string]>;
    upsertMeta: Statement<[string, number]>;
    readAfter: Statement<[number, number], SpooledReading>;
    deleteOne: Statement<[number], { bytes: number }>;
    head: Statement<[], { seq: number; takenAtMs: number }>;
    fromHead: Statement<[], { seq: number; takenAtMs: number; bytes: number }>;
    deleteThrough: Statement<[number]>;
  };
  /** Coffee events, in the same durable file (schema v2). */
  readonly coffeeEvents: SqliteEventQueue;
  private readonly runInTransaction: (work: () => unknown) => unknown;
  private counters: Counters;
  /** Readings lost since the last commit: their counts must reach meta with the next one. */
  private unstoredUnsaved = false;
  private readonly writeFailures: WriteFailures;
  private firstAgeExemptSeq: () => number | null = () => null;
  private closed = false;

  constructor(options: SqliteSpoolOptions) {
    this.limits = checkLimits(options.limits);
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.db = openDatabase(options.path);
    options.onOpen?.(this.db);
    const db = this.db;
    this.writeFailures = new WriteFailures({
      what: 'readings',
      path: options.path,
      logger: this.logger,
      clock: this.clock,
    });
    this.statements = {
      insert: db.prepare(
        'INSERT INTO readings (seq, taken_at_ms, boot_id, bytes, json) VALUES (?, ?, ?, ?, ?)',
      ),
      setMeta: db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      // The unstored_* keys were added after schema v2 shipped: created on first use.
      upsertMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      readAfter: db.prepare(
        'SELECT seq, taken_at_ms AS takenAtMs, boot_id AS bootId, json FROM readings WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      deleteOne: db.prepare('DELETE FROM readings WHERE seq = ? RETURNING bytes'),
      head: db.prepare('SELECT seq, taken_at_ms AS takenAtMs FROM readings ORDER BY seq LIMIT 1'),
      fromHead: db.prepare('SELECT seq, taken_at_ms AS takenAtMs, bytes FROM readings ORDER BY seq'),
      deleteThrough: db.prepare('DELETE FROM readings WHERE seq <= ?'),
    };
    this.runInTransaction = db.transaction((work: () => unknown) => work());
    this.coffeeEvents = new SqliteEventQueue({
      db,
      kind: 'coffee',
      maxEvents: options.maxEvents ?? DEFAULT_MAX_EVENTS,
      logger: this.logger,
      path: options.path,
      clock: this.clock,
    });
    this.counters = loadCounters(db);
    this.logger.info({ path: options.path, ...this.counters }, 'spool opened');
  }

  append(reading: Omit<TelemetryReading, 'seq'>, bootId: string): TelemetryReading {
    const [stored] = this.appendMany([{ reading, bootId }]);
    return stored as TelemetryReading;
  }

  /**
   * Appends several readings in one transaction (one fsync): catch-up tooling, tests, benches.
   *
   * A commit that fails (disk full, I/O error, read-only filesystem) still uses up the seqs it
   * would have taken, so the readings lost leave a gap in seq that the lake shows where they are
   * missing; the count per cause reaches health and meta with the next commit that succeeds.
   * See `noteUnstored` for why no published seq can ever be handed out twice.
   */
  appendMany(items: readonly SpoolAppend[]): TelemetryReading[] {
    this.assertOpen();
    const rows = items.map(({ reading, bootId }) => {
      const takenAtMs = Date.parse(reading.ts);
      if (!Number.isFinite(takenAtMs)) {
        throw new SpoolWriteError(`reading ts ${JSON.stringify(reading.ts)} is not a valid timestamp`);
      }
      return { reading, bootId, takenAtMs };
    });
    if (rows.length === 0) return [];
    let committed: { stored: TelemetryReading[]; drop: Drop | null };
    try {
      committed = this.commit('store readings', (draft) => {
        const stored: TelemetryReading[] = [];
        for (const { reading, bootId, takenAtMs } of rows) {
          draft.lastSeq += 1;
          // seq first in the JSON, and never a stray seq from the caller's object.
          const full: TelemetryReading = { seq: draft.lastSeq, ...reading };
          full.seq = draft.lastSeq;
          const json = JSON.stringify(full);
          const bytes = Buffer.byteLength(json);
          this.statements.insert.run(full.seq, takenAtMs, bootId, bytes, json);
          draft.depth += 1;
          draft.bytes += bytes;
          stored.push(full);
        }
        this.statements.setMeta.run(draft.lastSeq, 'last_seq');
        if (this.unstoredUnsaved) {
          for (const cause of STORAGE_CAUSES)
            this.statements.upsertMeta.run(`unstored_${cause}`, draft.unstored[cause]);
        }
        return { stored, drop: this.dropOverLimits(draft) };
      });
    } catch (error) {
      throw this.noteUnstored(rows.length, error);
    }
    this.unstoredUnsaved = false;
    this.writeFailures.succeeded();
    this.logDrop(committed.drop);
    return committed.stored;
  }

  /**
   * Counts readings whose commit failed and gives their seqs up for good in this process.
   *
   * Why this never reuses a published seq: a reading is published only after its row is
   * committed, and `last_seq` is written in that same transaction, so every seq ever published
   * is ≤ the `last_seq` on disk (or a row still there), which is where a restart resumes.
   * The seqs skipped here were never committed anywhere, so nothing can have published them. If
   * the agent restarts before any write succeeds again, it resumes after the last stored seq and
   * may hand these never-stored seqs out again: the gap closes, but the episode's log lines
   * remain. (An fsync error can leave SQLite unsure whether a commit reached the disk; such a
   * reading, found after a restart, is published normally and was counted here too.)
   */
  private noteUnstored(count: number, error: unknown): ReadingsNotStoredError {
    const from = this.counters.lastSeq + 1;
    const to = this.counters.lastSeq + count;
    const cause = this.writeFailures.failed(error, { count, seqs: { from, to } });
    const unstored = { ...this.counters.unstored, [cause]: this.counters.unstored[cause] + count };
    this.counters = { ...this.counters, lastSeq: to, unstored };
    this.unstoredUnsaved = true;
    const range = from === to ? `seq ${from}` : `seqs ${from}…${to}`;
    return new ReadingsNotStoredError(
      `${count} reading${count === 1 ? '' : 's'} (${range}) could not be stored: ${(error as Error).message}`,
      { storageCause: cause, fromSeq: from, toSeq: to },
      { cause: error },
    );
  }

  readAfter(afterSeq: number, limit: number): SpooledReading[] {
    this.assertOpen();
    if (limit <= 0) return [];
    return this.statements.readAfter.all(afterSeq, limit);
  }

  acknowledge(seqs: readonly number[]): void {
    this.assertOpen();
    if (seqs.length === 0) return;
    this.commit('delete acknowledged readings', (draft) => {
      for (const seq of seqs) {
        const row = this.statements.deleteOne.get(seq);
        if (!row) continue;
        draft.depth -= 1;
        draft.bytes -= row.bytes;
      }
    });
  }

  enforceLimits(): number {
    this.assertOpen();
    const drop = this.commit('apply spool limits', (draft) => this.dropOverLimits(draft));
    this.logDrop(drop);
    return drop?.count ?? 0;
  }

  stats(): SpoolStats {
    this.assertOpen();
    const { depth, bytes, dropped, lastSeq, unstored } = this.counters;
    // The head of the queue: the oldest reading unless the wall clock once went backwards.
    const head = this.statements.head.get();
    return {
      depth,
      bytes,
      oldestTakenAtMs: head?.takenAtMs ?? null,
      dropped,
      lastSeq,
      unstored: { ...unstored },
      failing: this.writeFailures.current(),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /**
   * Runs `work` in one transaction on a copy of the counters, adopted only if it commits, so a
   * failed write (disk full) leaves memory and disk agreeing.
   */
  private commit<T>(what: string, work: (draft: Counters) => T): T {
    const draft = { ...this.counters, unstored: { ...this.counters.unstored } };
    let result: T;
    try {
      result = this.runInTransaction(() => work(draft)) as T;
    } catch (cause) {
      throw new SpoolWriteError(`spool could not ${what}: ${(cause as Error).message}`, { cause });
    }
    this.counters = draft;
    return result;
  }

  /** Readings from this seq on are not dropped for their age (see ReadingSpool.exemptFromAgeExpiry). */
  exemptFromAgeExpiry(firstExemptSeq: () => number | null): void {
    this.firstAgeExemptSeq = firstExemptSeq;
  }

  /**
   * Drops the oldest readings while a cap is exceeded. Age is checked from the head only, so a
   * backwards clock jump can keep an older reading behind a newer head until that head expires.
   */
  private dropOverLimits(draft: Counters): Drop | null {
    const { maxReadings, maxBytes, maxAgeSeconds } = this.limits;
    const cutoffMs = maxAgeSeconds > 0 ? this.clock.now() - maxAgeSeconds * 1000 : Number.NEGATIVE_INFINITY;
    const exemptFrom = this.firstAgeExemptSeq() ?? Number.POSITIVE_INFINITY;
    const reasons = new Set<string>();
    let fromSeq = 0;
    let toSeq = 0;
    let count = 0;
    for (const row of this.statements.fromHead.iterate()) {
      const overCount = maxReadings > 0 && draft.depth > maxReadings;
      const overBytes = maxBytes > 0 && draft.bytes > maxBytes;
      // A reading whose stored time the clock cannot vouch for yet is not judged by it.
      const expired = row.takenAtMs < cutoffMs && row.seq < exemptFrom;
      if (!overCount && !overBytes && !expired) break;
      if (overCount) reasons.add('maxReadings');
      if (overBytes) reasons.add('maxBytes');
      if (expired) reasons.add('maxAgeSeconds');
      if (count === 0) fromSeq = row.seq;
      toSeq = row.seq;
      count += 1;
      draft.depth -= 1;
      draft.bytes -= row.bytes;
    }
    if (count === 0) return null;
    this.statements.deleteThrough.run(toSeq);
    draft.dropped += count;
    this.statements.setMeta.run(draft.dropped, 'dropped');
    return { count, fromSeq, toSeq, reasons: [...reasons] };
  }

  private logDrop(drop: Drop | null): void {
    if (!drop) return;
    this.logger.warn(
      { ...drop, totalDropped: this.counters.dropped, depth: this.counters.depth },
      'spool limit reached: dropped oldest readings',
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new SpoolClosedError('spool is closed');
  }
}

function openDatabase(path: string): Database.Database {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (cause) {
    throw new SpoolOpenError(`cannot create the spool directory for ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new SpoolOpenError(`cannot open spool ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    // quick_check reads every page once (tens of ms for a day of readings) so a damaged file is
    // reported at start-up, not halfway through a catch-up.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new SpoolCorruptError(corruptMessage(path, String(check)));
    db.pragma('journal_mode = WAL');
    // FULL: in WAL mode NORMAL may lose the last commits on power loss; we promise it may not.
    db.pragma('synchronous = FULL');
    // A large catch-up ack grows the WAL; truncate it back after checkpoints (SD cards are small).
    db.pragma('journal_size_limit = 4194304');
    migrate(db, path);
    return db;
  } catch (cause) {
    db.close();
    if (cause instanceof SpoolCorruptError || cause instanceof SpoolVersionError) throw cause;
    if (isCorruption(cause))
      throw new SpoolCorruptError(corruptMessage(path, (cause as Error).message), { cause });
    throw new SpoolOpenError(`cannot open spool ${path}: ${(cause as Error).message}`, { cause });
  }
}

function loadCounters(db: Database.Database): Counters {
  const meta = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: number }[];
  const value = (key: string) => meta.find((row) => row.key === key)?.value ?? 0;
  const totals = db
    .prepare(
      'SELECT count(*) AS depth, coalesce(sum(bytes), 0) AS bytes, coalesce(max(seq), 0) AS maxSeq FROM readings',
    )
    .get() as { depth: number; bytes: number; maxSeq: number };
  const unstored = noCauseCounts();
  for (const cause of STORAGE_CAUSES) unstored[cause] = value(`unstored_${cause}`);
  return {
    // Never below a stored row: a seq must not be handed out twice, whatever meta says.
    lastSeq: Math.max(value('last_seq'), totals.maxSeq),
    dropped: value('dropped'),
    depth: totals.depth,
    bytes: totals.bytes,
    unstored,
  };
}

function checkLimits(limits: SpoolLimits): SpoolLimits {
  const problems = (['maxReadings', 'maxBytes', 'maxAgeSeconds'] as const)
    .filter((key) => !(Number.isInteger(limits[key]) && limits[key] >= 0))
    .map((key) => `${key} must be an integer ≥ 0 (got ${limits[key]})`);
  if (problems.length > 0) throw new SpoolConfigError(`invalid spool limits: ${problems.join('; ')}`);
  return { ...limits };
}

function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}

function corruptMessage(path: string, detail: string): string {
  return (
    `spool ${path} is unreadable (${detail}). It was left untouched: move it aside to start an empty ` +
    'spool (its unsent readings are then lost) or inspect it with the sqlite3 CLI.'
  );
}
