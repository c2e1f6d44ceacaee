import type { Database } from 'better-sqlite3';
import { SpoolVersionError } from './spool-errors.js';

/** Bumped with every schema change; stored in SQLite's `user_version`. */
export const SPOOL_SCHEMA_VERSION = 2;

const SCHEMA_V1 = `
  CREATE TABLE readings (
    -- An alias of the rowid: readAfter and the oldest-first drops are B-tree range scans.
    seq INTEGER PRIMARY KEY,
    taken_at_ms INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    -- UTF-8 length of json, kept so the byte cap never has to re-measure rows.
    bytes INTEGER NOT NULL,
    -- The reading exactly as it goes into an envelope.
    json TEXT NOT NULL
  );
  -- Counters that must survive an empty spool: seq stays monotonic after everything is acked.
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('last_seq', 0), ('dropped', 0);
`;

/**
 * v2: discrete events (coffee presses) that go out one per message on their own topic,
 * kept in the same durable file as the readings with the same guarantees.
 */
const SCHEMA_V2 = `
  CREATE TABLE events (
    -- AUTOINCREMENT: ids are never reused, so an acknowledged id cannot come back.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    json TEXT NOT NULL
  );
  INSERT INTO meta (key, value) VALUES ('events_dropped', 0);
`;

/**
 * Creates the schema in a new file, accepts the current version, and refuses a file from a
 * newer agent or a SQLite database that is not a spool (rather than writing into either).
 */
export function migrate(db: Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SPOOL_SCHEMA_VERSION) {
    throw new SpoolVersionError(
      `spool ${path} has schema version ${version}, newer than this agent's ${SPOOL_SCHEMA_VERSION}; ` +
        'upgrade the agent or move the file aside',
    );
  }
  if (version === SPOOL_SCHEMA_VERSION) return;
  if (version === 1) {
    db.transaction(() => {
      db.exec(SCHEMA_V2);
      db.pragma(`user_version = ${SPOOL_SCHEMA_VERSION}`);
    })();
    return;
  }
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
    n: number;
  };
  if (tables.n > 0) {
    throw new SpoolVersionError(
      `${path} is a SQLite database but not a coffee-iot spool; refusing to write into it`,
    );
  }
  db.transaction(() => {
    db.exec(SCHEMA_V1);
    db.exec(SCHEMA_V2);
    db.pragma(`user_version = ${SPOOL_SCHEMA_VERSION}`);
  })();
}
