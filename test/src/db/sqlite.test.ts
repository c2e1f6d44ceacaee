import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteDatabase } from '../../../cloud/src/db/index.js';
import { describeCoffeeDatabase } from './coffee-database-contract.js';

// Short, so "another process holds the write lock" fails in a fraction of a second.
const BUSY_TIMEOUT_MS = 200;

describeCoffeeDatabase('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-sqlite-'));
  const path = join(dir, 'coffee.db');
  // Another process's write transaction, as the dashboard or the CLI could hold it.
  let holder: BetterSqlite3.Database | undefined;
  return {
    open: () => openSqliteDatabase(path, { busyTimeoutMs: BUSY_TIMEOUT_MS }),
    takeDown: async () => {
      holder = new BetterSqlite3(path);
      holder.exec('BEGIN EXCLUSIVE');
    },
    bringBack: async () => {
      holder?.exec('ROLLBACK');
      holder?.close();
      holder = undefined;
    },
    cleanup: async () => {
      holder?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
