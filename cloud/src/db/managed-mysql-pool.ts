import type { MysqlPool, MysqlPoolConnection } from 'kysely';
import type { Pool, PoolConnection } from 'mysql2';
import { DatabaseUnavailableError } from './coffee-repository.js';
import { connectError, isAccessDenied } from './database-errors.js';

export interface BuiltPool {
  pool: Pool;
  /** Where the pool connects, for error messages: `user@host:port/database`. */
  target: string;
}

export interface ManagedMysqlPoolOptions {
  /**
   * Builds a mysql2 pool. `afterAccessDenied` is true when the server refused the previous pool's
   * credentials, so a builder backed by a rotating secret should fetch the secret again.
   */
  build(afterAccessDenied: boolean): Promise<BuiltPool>;
  /** Whether building again can help after access denied (it can when credentials rotate). */
  rebuildOnAccessDenied: boolean;
  /** A pooled connection idle for longer is closed at checkout instead of used. */
  idleTimeoutMs: number;
  now?: () => number;
}

interface Generation {
  readonly pool: Pool;
  readonly target: string;
  checkedOut: number;
  retired: boolean;
  ended?: Promise<void>;
  replacement?: Promise<Generation>;
}

// A pool of at most a handful of connections cannot hold more stale ones than this.
const MAX_STALE_CHECKOUTS = 64;

/**
 * The pool Kysely's MysqlDialect talks to: a mysql2 pool with two things mysql2 does not do.
 *
 * - Idle timeout at checkout: a connection idle for longer than `idleTimeoutMs` is closed and
 *   replaced rather than used. mysql2 only reaps idle connections from a background timer (and
 *   only when maxIdle < connectionLimit); in a Lambda that timer does not run while the container
 *   is frozen, and the RDS Proxy may have dropped the connection meanwhile.
 * - Rotated passwords: when a new connection is refused for access denied, the pool is built
 *   again once (with fresh credentials) and the checkout retried. The old pool is ended when its
 *   last checked-out connection comes back, so a transaction running on it is not cut off.
 *
 * Failures to connect become DatabaseUnavailableError (transient) or DatabaseConnectError,
 * naming the target.
 */
export class ManagedMysqlPool implements MysqlPool {
  private current: Promise<Generation> | undefined;
  private readonly retired = new Set<Generation>();
  private readonly releasedAt = new WeakMap<PoolConnection, number>();
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: ManagedMysqlPoolOptions) {
    this.now = options.now ?? Date.now;
  }

  getConnection(callback: (error: unknown, connection: MysqlPoolConnection) => void): void {
    this.acquire().then(
      (connection) => callback(null, connection),
      (error: unknown) => callback(error, undefined as unknown as MysqlPoolConnection),
    );
  }

  end(callback: (error: unknown) => void): void {
    this.close().then(
      () => callback(null),
      (error: unknown) => callback(error),
    );
  }

  /** Ends every pool this facade built; checkouts after this fail. */
  async close(): Promise<void> {
    this.closed = true;
    const generations = [...this.retired];
    const current = await this.current?.catch(() => undefined);
    if (current) generations.push(current);
    await Promise.all(generations.map((generation) => this.endPool(generation)));
  }

  private async acquire(): Promise<MysqlPoolConnection> {
    const generation = await this.currentGeneration();
    try {
      return await this.checkout(generation);
    } catch (error) {
      if (!(this.options.rebuildOnAccessDenied && isAccessDenied(error))) {
        throw connectError(error, generation.target);
      }
      generation.replacement ??= this.replace(generation);
      const next = await generation.replacement;
      try {
        return await this.checkout(next);
      } catch (retryError) {
        throw connectError(retryError, next.target);
      }
    }
  }

  private currentGeneration(): Promise<Generation> {
    this.current ??= this.build(false);
    return this.current;
  }

  private build(afterAccessDenied: boolean): Promise<Generation> {
    if (this.closed) return Promise.reject(new DatabaseUnavailableError('the database pool is closed'));
    const building = this.options.build(afterAccessDenied).then(({ pool, target }) => {
      // mysql2 emits 'error' on an idle connection that breaks (server gone); the connection then
      // leaves the pool on its own. Without a listener a second such event would crash the process.
      pool.on('connection', (connection) => connection.on('error', () => {}));
      return { pool, target, checkedOut: 0, retired: false } satisfies Generation;
    });
    // A failed build (secret unreadable…) is not cached: the next checkout tries again.
    building.catch(() => {
      if (this.current === building) this.current = undefined;
    });
    this.current = building;
    return building;
  }

  private async replace(refused: Generation): Promise<Generation> {
    refused.retired = true;
    this.retired.add(refused);
    if (refused.checkedOut === 0) void this.endRetired(refused);
    return this.build(true);
  }

  private async checkout(generation: Generation): Promise<MysqlPoolConnection> {
    if (this.closed) throw new DatabaseUnavailableError('the database pool is closed');
    for (let stale = 0; stale < MAX_STALE_CHECKOUTS; stale += 1) {
      const connection = await new Promise<PoolConnection>((resolve, reject) =>
        generation.pool.getConnection((error, got) => (error ? reject(error) : resolve(got))),
      );
      const releasedAt = this.releasedAt.get(connection);
      if (releasedAt !== undefined && this.now() - releasedAt > this.options.idleTimeoutMs) {
        connection.destroy();
        continue;
      }
      generation.checkedOut += 1;
      return this.wrap(connection, generation);
    }
    throw new DatabaseUnavailableError(
      `no usable connection to ${generation.target} after closing stale ones`,
    );
  }

  private wrap(connection: PoolConnection, generation: Generation): MysqlPoolConnection {
    let released = false;
    return {
      query: connection.query.bind(connection) as unknown as MysqlPoolConnection['query'],
      release: () => {
        if (released) return;
        released = true;
        this.releasedAt.set(connection, this.now());
        generation.checkedOut -= 1;
        connection.release();
        if (generation.retired && generation.checkedOut === 0) void this.endRetired(generation);
      },
    };
  }

  private async endRetired(generation: Generation): Promise<void> {
    // The pool was replaced; failing to close it cleanly only leaves the server to time out its
    // connections, so the error is dropped on purpose.
    await this.endPool(generation).catch(() => {});
    this.retired.delete(generation);
  }

  private endPool(generation: Generation): Promise<void> {
    generation.ended ??= new Promise<void>((resolve, reject) =>
      generation.pool.end((error) => (error ? reject(error) : resolve())),
    );
    return generation.ended;
  }
}
