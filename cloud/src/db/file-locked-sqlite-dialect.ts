import {
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  SqliteDialect,
  type SqliteDialectConfig,
  type TransactionSettings,
} from 'kysely';

/** A FIFO lock: `acquire()` resolves with the function that lets the next waiter in. */
export class AsyncLock {
  private tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = this.tail;
    this.tail = before.then(() => mine);
    await before;
    return release;
  }
}

// One lock per SQLite file in this process, shared by every handle opened on it.
const fileLocks = new Map<string, AsyncLock>();

export function fileLock(realPath: string): AsyncLock {
  let lock = fileLocks.get(realPath);
  if (lock === undefined) {
    lock = new AsyncLock();
    fileLocks.set(realPath, lock);
  }
  return lock;
}

/**
 * Holds the file's lock from acquireConnection to releaseConnection, i.e. for a whole statement or
 * transaction. better-sqlite3 is synchronous: when a second handle on the same file in the same
 * process meets a write lock, SQLite's busy handler sleeps the only thread, so the handle holding
 * the lock can never finish and both wait out the busy timeout (then SQLITE_BUSY). Taking turns
 * in JavaScript first leaves the busy timeout for other processes.
 */
class FileLockedDriver implements Driver {
  private release: (() => void) | undefined;

  constructor(
    private readonly inner: Driver,
    private readonly lock: AsyncLock,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.lock.acquire();
    try {
      const connection = await this.inner.acquireConnection();
      // Only one holder at a time (the lock), so one slot is enough.
      this.release = release;
      return connection;
    } catch (error) {
      release();
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const release = this.release;
    this.release = undefined;
    try {
      await this.inner.releaseConnection(connection);
    } finally {
      release?.();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.savepoint?.(connection, name, compileQuery);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.(connection, name, compileQuery);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.inner.releaseSavepoint?.(connection, name, compileQuery);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** Kysely's SqliteDialect whose handles on one file take turns within this process. */
export class FileLockedSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly lock: AsyncLock,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new FileLockedDriver(super.createDriver(), this.lock);
  }
}
