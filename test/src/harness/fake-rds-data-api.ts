import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import mysql, {
  type FieldPacket,
  type Pool,
  type PoolConnection,
  type ResultSetHeader,
} from 'mysql2/promise';
import { replacePlaceholders } from '../../../cloud/src/db/data-api-sql.js';
import type { MariaDbConnection } from './mariadb.js';

/**
 * The RDS Data API, answered locally by executing the SQL on a real MariaDB. The real
 * `RDSDataClient` talks to it over HTTP (restJson1: POST /Execute, /BeginTransaction,
 * /CommitTransaction, /RollbackTransaction), so requests and answers go through the SDK's own
 * serialisers and error parsing. Shapes follow the API reference: ExecuteStatement answers
 * `records` (Field unions), `columnMetadata` (when includeResultMetadata), `numberOfRecordsUpdated`
 * and `generatedFields`; errors carry `__type` and `X-Amzn-ErrorType`. `pause()` makes every call
 * answer DatabaseResumingException (HTTP 400), as a cluster waking from auto-pause does.
 */
export interface FakeDataApiOptions {
  /** Where the SQL runs; the Data API's `database` field picks the database on it. */
  mariadb: Omit<MariaDbConnection, 'database'>;
  clusterArn: string;
  secretArn: string;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// mysql2's column type codes → the Data API's typeName and JDBC type (java.sql.Types).
const INTEGER_TYPES: Record<number, [string, number]> = {
  1: ['TINYINT', -6],
  2: ['SMALLINT', 5],
  3: ['INT', 4],
  8: ['BIGINT', -5],
  9: ['MEDIUMINT', 4],
  13: ['YEAR', 91],
};
const FLOAT_TYPES: Record<number, [string, number]> = { 4: ['FLOAT', 7], 5: ['DOUBLE', 8] };
const TIME_TYPES: Record<number, [string, number]> = { 7: ['TIMESTAMP', 93], 12: ['DATETIME', 93] };
const OTHER_TYPES: Record<number, [string, number]> = {
  0: ['DECIMAL', 3],
  246: ['DECIMAL', 3],
  10: ['DATE', 91],
  11: ['TIME', 92],
  15: ['VARCHAR', 12],
  253: ['VARCHAR', 12],
  254: ['CHAR', 1],
  16: ['BIT', -7],
  245: ['JSON', 12],
  249: ['TEXT', -1],
  250: ['MEDIUMTEXT', -1],
  251: ['LONGTEXT', -1],
  252: ['TEXT', -1],
};
const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;
const NOT_NULL_FLAG = 1;
const AUTO_INCREMENT_FLAG = 512;

type Field = Record<string, unknown>;

function columnType(field: FieldPacket): [string, number] {
  const code = field.columnType ?? field.type ?? -1;
  const known = INTEGER_TYPES[code] ?? FLOAT_TYPES[code] ?? TIME_TYPES[code] ?? OTHER_TYPES[code];
  if (known === undefined) return ['VARCHAR', 12];
  const binary = field.characterSet === BINARY_CHARSET;
  if (binary && code >= 249 && code <= 252) return ['BLOB', -4];
  if (binary && (code === 253 || code === 15)) return ['VARBINARY', -3];
  return known;
}

function columnMetadata(field: FieldPacket): Field {
  const [typeName, type] = columnType(field);
  const flags = Number(field.flags ?? 0);
  const unsigned = (flags & UNSIGNED_FLAG) !== 0;
  return {
    name: field.orgName || field.name,
    label: field.name,
    type,
    typeName: unsigned ? `${typeName} UNSIGNED` : typeName,
    schemaName: field.schema ?? '',
    tableName: field.orgTable ?? '',
    isAutoIncrement: (flags & AUTO_INCREMENT_FLAG) !== 0,
    isSigned: !unsigned,
    isCurrency: false,
    isCaseSensitive: true,
    nullable: (flags & NOT_NULL_FLAG) !== 0 ? 0 : 1,
    precision: Number(field.columnLength ?? 0),
    scale: Number(field.decimals ?? 0),
    arrayBaseColumnType: 0,
  };
}

/** One value as a Data API Field. DATETIME fractions lose their trailing zeros ("…:01.5"), a
 * form the dialect must read back exactly as mysql2 does. */
function toField(value: unknown, field: FieldPacket): Field {
  if (value === null || value === undefined) return { isNull: true };
  const code = field.columnType ?? field.type ?? -1;
  if (Buffer.isBuffer(value)) return { blobValue: value.toString('base64') };
  if (code in INTEGER_TYPES) return { longValue: Number(value) };
  if (code in FLOAT_TYPES) return { doubleValue: Number(value) };
  if (code in TIME_TYPES) {
    return {
      stringValue: String(value).replace(/\.(\d*?)0+$/, (_, kept: string) => (kept ? `.${kept}` : '')),
    };
  }
  return { stringValue: String(value) };
}

function fromParameterValue(value: Field | undefined, name: string): unknown {
  if (value === undefined) throw new ApiError('BadRequestException', 400, `parameter ${name} has no value`);
  if (value.isNull === true) return null;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.longValue === 'number') return value.longValue;
  if (typeof value.doubleValue === 'number') return value.doubleValue;
  if (typeof value.booleanValue === 'boolean') return value.booleanValue;
  if (typeof value.blobValue === 'string') return Buffer.from(value.blobValue, 'base64');
  throw new ApiError(
    'BadRequestException',
    400,
    `parameter ${name}: unsupported value ${JSON.stringify(value)}`,
  );
}

/** `:name` placeholders → `?` and the values in the order they appear (a name may repeat). */
function positional(sqlText: string, parameters: readonly Field[]): { sql: string; values: unknown[] } {
  const byName = new Map(parameters.map((p) => [String(p.name), p.value as Field | undefined]));
  const values: unknown[] = [];
  const text = replacePlaceholders(sqlText, /:[A-Za-z_][A-Za-z0-9_]*/, (match) => {
    const name = match.slice(1);
    if (!byName.has(name))
      throw new ApiError('BadRequestException', 400, `No value specified for parameter ${name}`);
    values.push(fromParameterValue(byName.get(name), name));
    return '?';
  });
  return { sql: text, values };
}

interface Transaction {
  connection: PoolConnection;
  database: string;
}

export class FakeRdsDataApi {
  /** The operations answered, in order (for tests that check what the dialect asked). */
  readonly calls: string[] = [];
  private server: Server | undefined;
  private readonly pools = new Map<string, Pool>();
  private readonly transactions = new Map<string, Transaction>();
  private paused = false;

  constructor(private readonly options: FakeDataApiOptions) {}

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.answerError(response, new ApiError('InternalServerErrorException', 500, String(error)));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Auto-paused: every call answers DatabaseResumingException; open transactions are gone. */
  async pause(): Promise<void> {
    this.paused = true;
    for (const [id, transaction] of this.transactions) {
      this.transactions.delete(id);
      transaction.connection.destroy();
    }
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    await this.pause();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await Promise.all([...this.pools.values()].map((pool) => pool.end()));
    this.pools.clear();
  }

  private pool(database: string): Pool {
    let pool = this.pools.get(database);
    if (pool === undefined) {
      pool = mysql.createPool({
        ...this.options.mariadb,
        database,
        connectionLimit: 60,
        dateStrings: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
        timezone: 'Z',
      });
      this.pools.set(database, pool);
    }
    return pool;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = (request.url ?? '').split('?')[0] ?? '';
    this.calls.push(operation);
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Field;
      this.authorise(body);
      if (this.paused) {
        throw new ApiError(
          'DatabaseResumingException',
          400,
          'The Aurora DB instance db-FAKE is resuming after being auto-paused. Please wait a few seconds and try again.',
        );
      }
      const answer = await this.operation(operation, body);
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(answer));
    } catch (error) {
      if (error instanceof ApiError) this.answerError(response, error);
      else if (isMysqlError(error)) {
        // As the service words a MySQL refusal: the server's error number, then its message.
        const message = `Database error code: ${error.errno ?? 0}. Message: ${error.sqlMessage ?? error.message}`;
        this.answerError(response, new ApiError('BadRequestException', 400, message));
      } else throw error;
    }
  }

  private authorise(body: Field): void {
    if (body.resourceArn !== this.options.clusterArn) {
      throw new ApiError(
        'BadRequestException',
        400,
        `HttpEndpoint is not enabled for resource ${String(body.resourceArn)}`,
      );
    }
    if (body.secretArn !== this.options.secretArn) {
      throw new ApiError('ForbiddenException', 403, 'Access denied to the secret');
    }
  }

  private async operation(operation: string, body: Field): Promise<Field> {
    switch (operation) {
      case '/BeginTransaction': {
        const database = String(body.database ?? '');
        const connection = await this.pool(database).getConnection();
        await connection.query('START TRANSACTION');
        const transactionId = randomBytes(24).toString('base64');
        this.transactions.set(transactionId, { connection, database });
        return { transactionId };
      }
      case '/CommitTransaction':
      case '/RollbackTransaction': {
        const { id, transaction } = this.transaction(body);
        this.transactions.delete(id);
        try {
          await transaction.connection.query(operation === '/CommitTransaction' ? 'COMMIT' : 'ROLLBACK');
        } finally {
          transaction.connection.release();
        }
        return {
          transactionStatus:
            operation === '/CommitTransaction' ? 'Transaction Committed' : 'Rollback Complete',
        };
      }
      case '/Execute':
        return this.execute(body);
      default:
        throw new ApiError('BadRequestException', 400, `the fake Data API does not answer ${operation}`);
    }
  }

  private transaction(body: Field): { id: string; transaction: Transaction } {
    const id = String(body.transactionId ?? '');
    const transaction = this.transactions.get(id);
    if (transaction === undefined)
      throw new ApiError('TransactionNotFoundException', 404, `Transaction ${id} is not found`);
    return { id, transaction };
  }

  private async execute(body: Field): Promise<Field> {
    const { sql, values } = positional(
      String(body.sql ?? ''),
      (body.parameters as Field[] | undefined) ?? [],
    );
    const runner =
      body.transactionId === undefined
        ? this.pool(String(body.database ?? ''))
        : this.transaction(body).transaction.connection;
    const [result, fields] = await runner.query({ sql, values, rowsAsArray: true });
    if (!Array.isArray(result)) {
      const header = result as ResultSetHeader;
      return {
        numberOfRecordsUpdated: header.affectedRows,
        generatedFields: header.insertId > 0 ? [{ longValue: header.insertId }] : [],
      };
    }
    const columns = (fields ?? []) as FieldPacket[];
    const records = (result as unknown[][]).map((row) =>
      row.map((value, i) => toField(value, columns[i] as FieldPacket)),
    );
    return {
      records,
      ...(body.includeResultMetadata === true ? { columnMetadata: columns.map(columnMetadata) } : {}),
      numberOfRecordsUpdated: 0,
    };
  }

  private answerError(response: ServerResponse, error: ApiError): void {
    if (response.headersSent) return;
    response.writeHead(error.status, { 'Content-Type': 'application/json', 'X-Amzn-ErrorType': error.type });
    response.end(JSON.stringify({ __type: error.type, message: error.message }));
  }
}

function isMysqlError(error: unknown): error is Error & { sqlMessage?: string; errno?: number } {
  return error instanceof Error && 'sqlState' in error;
}
