import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { CoffeeDatabase } from './coffee-database.js';
import { toRows } from './data-api-rows.js';
import { toNamedStatement } from './data-api-sql.js';
import type { Database } from './schema.js';

/**
 * Aurora MySQL through the RDS Data API: HTTPS calls signed with the function's role, so a Lambda
 * needs no VPC, no connection pool and no RDS Proxy. The only file that imports the Data API SDK.
 */
export interface DataApiOptions {
  client: RDSDataClient;
  /** The Aurora cluster (Data API enabled). */
  resourceArn: string;
  /** The Secrets Manager secret the Data API signs in with. */
  secretArn: string;
  database: string;
}

/** The SQL was refused (a MySQL error in a BadRequestException). `code` is mysql2's name for it,
 * when known, so the repositories recognise a duplicate key or a deadlock on both paths. */
export class DataApiStatementError extends Error {
  override readonly name = 'DataApiStatementError';
  constructor(
    message: string,
    readonly code: string | undefined,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class DataApiUnsupportedError extends Error {
  override readonly name = 'DataApiUnsupportedError';
}

// The Data API passes MySQL's refusals on as BadRequestException with the server's error number
// in the text: "Database error code: 1062. Message: Duplicate entry 'x' for key 'photo_key'".
// Mapped to mysql2's codes.
const MYSQL_ERROR_NUMBER = /Database error code: (\d+)\. Message: /;
const STATEMENT_CODES: Readonly<Record<string, string>> = {
  '1062': 'ER_DUP_ENTRY',
  '1213': 'ER_LOCK_DEADLOCK',
  '1205': 'ER_LOCK_WAIT_TIMEOUT',
  '1146': 'ER_NO_SUCH_TABLE',
};

function translated(error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'BadRequestException') return error;
  const number = MYSQL_ERROR_NUMBER.exec(error.message)?.[1];
  const code = number === undefined ? undefined : STATEMENT_CODES[number];
  return new DataApiStatementError(error.message, code, { cause: error });
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translated(error);
  }
}

class DataApiConnection implements DatabaseConnection {
  transactionId: string | undefined;

  constructor(private readonly options: DataApiOptions) {}

  get target() {
    return { resourceArn: this.options.resourceArn, secretArn: this.options.secretArn };
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const statement = toNamedStatement(compiled.sql, compiled.parameters);
    const answer = await call(() =>
      this.options.client.send(
        new ExecuteStatementCommand({
          ...this.target,
          database: this.options.database,
          sql: statement.sql,
          parameters: statement.parameters,
          includeResultMetadata: true,
          ...(this.transactionId === undefined ? {} : { transactionId: this.transactionId }),
        }),
      ),
    );
    const insertId = answer.generatedFields?.[0]?.longValue;
    return {
      rows: toRows(answer.records, answer.columnMetadata) as R[],
      numAffectedRows: BigInt(answer.numberOfRecordsUpdated ?? 0),
      ...(insertId !== undefined && insertId > 0 ? { insertId: BigInt(insertId) } : {}),
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is refused before the first row.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new DataApiUnsupportedError('the Data API returns whole result sets: use execute(), not stream()');
  }
}

class DataApiDriver implements Driver {
  constructor(private readonly options: DataApiOptions) {}

  async init(): Promise<void> {}

  // A connection is only a place to keep a transaction id: the service holds the real sessions.
  async acquireConnection(): Promise<DatabaseConnection> {
    return new DataApiConnection(this.options);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
      throw new DataApiUnsupportedError('the Data API begins transactions with the cluster defaults only');
    }
    const dataApi = connection as DataApiConnection;
    const answer = await call(() =>
      this.options.client.send(
        new BeginTransactionCommand({ ...dataApi.target, database: this.options.database }),
      ),
    );
    dataApi.transactionId = answer.transactionId;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.endTransaction(connection as DataApiConnection, 'commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.endTransaction(connection as DataApiConnection, 'rollback');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}

  private async endTransaction(connection: DataApiConnection, end: 'commit' | 'rollback'): Promise<void> {
    const transactionId = connection.transactionId;
    if (transactionId === undefined) return;
    connection.transactionId = undefined;
    const input = { ...connection.target, transactionId };
    await call(() =>
      this.options.client.send(
        end === 'commit' ? new CommitTransactionCommand(input) : new RollbackTransactionCommand(input),
      ),
    );
  }
}

/**
 * MySQL's SQL, but no session: each statement outside a transaction may run on another server
 * connection, so MySQL's GET_LOCK (which Kysely's migrator takes) would be left held on some
 * connection of the service's pool. The schema is migrated by the one deploy-time custom resource,
 * which CloudFormation runs once per stack update, so the migrator takes no lock here.
 */
class DataApiAdapter extends MysqlAdapter {
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

export class DataApiDialect implements Dialect {
  constructor(private readonly options: DataApiOptions) {}

  createAdapter(): DialectAdapter {
    return new DataApiAdapter();
  }

  createDriver(): Driver {
    return new DataApiDriver(this.options);
  }

  createQueryCompiler(): QueryCompiler {
    return new MysqlQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new MysqlIntrospector(db);
  }
}

export interface DataApiDatabaseOptions extends Omit<DataApiOptions, 'client'> {
  /** Default: a client for the function's region and role. */
  client?: RDSDataClient;
}

/** Aurora MySQL over the Data API; nothing is called until the first query. */
export function openDataApiDatabase(options: DataApiDatabaseOptions): CoffeeDatabase {
  const client = options.client ?? new RDSDataClient({});
  const db = new Kysely<Database>({ dialect: new DataApiDialect({ ...options, client }) });
  return { db, dialect: 'mysql', close: () => db.destroy() };
}
