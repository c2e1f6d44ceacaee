import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Connection, createConnection } from 'mysql2/promise';
import { MARIADBD_BIN, type MariaDbConnection, type MariaDbServer } from '../../test/src/harness/mariadb.js';
import { CLOCK_TICKS, findChild, sampleProc } from './proc.js';

/** Global status counters read before and after a run (SHOW GLOBAL STATUS). */
const COUNTERS = [
  'Questions',
  'Com_select',
  'Com_insert',
  'Com_update',
  'Com_begin',
  'Com_commit',
  'Com_rollback',
  'Connections',
  'Innodb_row_lock_waits',
  'Innodb_row_lock_time',
  'Innodb_deadlocks',
  // Commits by the storage engine (autocommit statements too); redo log writes; fsyncs of redo
  // log and data files (with the log flushed at commit: about one per durable commit, fewer when
  // group commit merges concurrent ones).
  'Handler_commit',
  'Innodb_log_writes',
  'Innodb_data_fsyncs',
] as const;

export type Counter = (typeof COUNTERS)[number];

export interface ServerSnapshot {
  counters: Record<Counter, number>;
  /** mariadbd's utime + stime, clock ticks. */
  cpuTicks: number;
  atMs: number;
  slowLogBytes: number;
}

export interface SlowStatement {
  /** The statement with literals replaced by `?`, cut at 90 characters. */
  statement: string;
  count: number;
  maxMs: number;
  totalMs: number;
}

export interface ServerActivity {
  /** Counter deltas (Innodb_row_lock_time in ms; NaN when the server has no such counter). */
  counters: Record<Counter, number>;
  /** mariadbd CPU over the run, % of one core… */
  cpuPercent: number;
  /** …and in milliseconds (utime + stime of every server thread). */
  cpuMs: number;
  /** Statements that took at least the slow-log threshold, grouped. */
  slow: SlowStatement[];
}

/** Statements at or above this go to the slow log (MariaDB's long_query_time). */
export const SLOW_QUERY_MS = 10;

/**
 * Watches the bench's MariaDB from the side: status counters, the slow query log (every statement
 * of SLOW_QUERY_MS or more, with its time) and mariadbd's CPU time from /proc. Start it before the
 * pools under test connect: long_query_time is copied into a session when it connects.
 */
export class MariaDbObserver {
  private constructor(
    private readonly connection: Connection,
    private readonly pid: number,
    private readonly slowLogPath: string,
  ) {}

  static async start(server: MariaDbServer, account: MariaDbConnection): Promise<MariaDbObserver> {
    const connection = await createConnection({
      host: account.host,
      port: account.port,
      user: account.user,
      password: account.password,
    });
    const slowLogPath = join(server.dir, 'slow.log');
    await connection.query('SET GLOBAL slow_query_log_file = ?', [slowLogPath]);
    await connection.query('SET GLOBAL long_query_time = ?', [SLOW_QUERY_MS / 1000]);
    await connection.query('SET GLOBAL slow_query_log = 1');
    const pid = findChild([MARIADBD_BIN, `--datadir=${join(server.dir, 'data')}`]);
    return new MariaDbObserver(connection, pid, slowLogPath);
  }

  /**
   * Sets global variables and waits until they read back (a redo log resize blocks for a few
   * seconds; a buffer pool resize runs in the background and reports through its status).
   */
  async setGlobals(settings: Readonly<Record<string, number>>): Promise<void> {
    for (const [name, value] of Object.entries(settings)) {
      if (!/^[a-z_]+$/.test(name)) throw new Error(`not a server variable name: ${name}`);
      await this.connection.query(`SET GLOBAL ${name} = ?`, [value]);
    }
    const deadline = performance.now() + 30_000;
    for (;;) {
      const [rows] = await this.connection.query(
        `SELECT ${Object.keys(settings)
          .map((name) => `@@GLOBAL.${name} AS ${name}`)
          .join(', ')}`,
      );
      const [status] = await this.connection.query(
        "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'",
      );
      const current = (rows as Record<string, unknown>[])[0] ?? {};
      const resizing = /resiz|withdraw|allocat/i.test(
        String((status as { Value?: string }[])[0]?.Value ?? ''),
      );
      const applied = Object.entries(settings).every(([name, value]) => Number(current[name]) === value);
      if (applied && !resizing) return;
      if (performance.now() > deadline) {
        throw new Error(`server settings not applied within 30 s: ${JSON.stringify(current)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async version(): Promise<string> {
    const [rows] = await this.connection.query('SELECT VERSION() AS version');
    return String((rows as { version: string }[])[0]?.version);
  }

  async snapshot(): Promise<ServerSnapshot> {
    const [rows] = await this.connection.query(
      `SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map(() => '?').join(', ')})`,
      [...COUNTERS],
    );
    const values = new Map(
      (rows as { Variable_name: string; Value: string }[]).map((row) => [
        row.Variable_name,
        Number(row.Value),
      ]),
    );
    const counters = Object.fromEntries(
      COUNTERS.map((name) => [name, values.get(name) ?? Number.NaN]),
    ) as Record<Counter, number>;
    const slowLogBytes = await stat(this.slowLogPath).then(
      (s) => s.size,
      () => 0,
    );
    return { counters, cpuTicks: sampleProc(this.pid).cpuTicks, atMs: performance.now(), slowLogBytes };
  }

  /** What the server did between two snapshots (this observer's own status queries included: a handful). */
  async activity(before: ServerSnapshot, after: ServerSnapshot): Promise<ServerActivity> {
    const counters = Object.fromEntries(
      COUNTERS.map((name) => [name, after.counters[name] - before.counters[name]]),
    ) as Record<Counter, number>;
    const cpuSeconds = (after.cpuTicks - before.cpuTicks) / CLOCK_TICKS;
    return {
      counters,
      cpuPercent: (100 * cpuSeconds) / ((after.atMs - before.atMs) / 1000),
      cpuMs: cpuSeconds * 1000,
      slow: await this.slowStatements(before.slowLogBytes, after.slowLogBytes),
    };
  }

  async close(): Promise<void> {
    await this.connection.end();
  }

  private async slowStatements(from: number, to: number): Promise<SlowStatement[]> {
    if (to <= from) return [];
    const file = await open(this.slowLogPath, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(to - from);
      await file.read(buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      await file.close();
    }
    return groupSlowLog(text);
  }
}

/**
 * MariaDB's slow log: per statement a few `# …` header lines (one is `# Query_time: 0.012 …`),
 * then `SET timestamp=…;` and the statement, possibly over several lines.
 */
export function groupSlowLog(text: string): SlowStatement[] {
  const groups = new Map<string, SlowStatement>();
  let queryMs: number | null = null;
  let statement: string[] = [];
  const flush = () => {
    if (queryMs !== null && statement.length > 0) {
      const key = normalise(statement.join(' '));
      const group = groups.get(key) ?? { statement: key, count: 0, maxMs: 0, totalMs: 0 };
      group.count += 1;
      group.maxMs = Math.max(group.maxMs, queryMs);
      group.totalMs += queryMs;
      groups.set(key, group);
    }
    queryMs = null;
    statement = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      const time = /^# Query_time: ([\d.]+)/.exec(line);
      if (time) {
        flush();
        queryMs = Number(time[1]) * 1000;
      }
      continue;
    }
    if (queryMs === null || line.trim() === '' || /^(SET timestamp=|use )/i.test(line)) continue;
    statement.push(line.trim());
  }
  flush();
  return [...groups.values()].sort((a, b) => b.totalMs - a.totalMs);
}

function normalise(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/\b\d+(\.\d+)?\b/g, '?')
    .replace(/\((\?\s*,\s*)+\?\)/g, '(?, …)')
    .replace(/\s+/g, ' ')
    .replace(/;$/, '')
    .slice(0, 90);
}
