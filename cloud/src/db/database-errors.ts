import { DatabaseResumingError, DatabaseUnavailableError } from './coffee-repository.js';

/**
 * Which driver errors mean "the database cannot be reached or cannot serve us right now" (the
 * S3 event is retried) as opposed to our own mistakes (bad SQL, a violated constraint), which are
 * let through unchanged so they fail loudly.
 */

// mysql2 and Node network codes, plus MySQL/MariaDB server errors that end or refuse a session.
const MYSQL_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  // A password rotation not yet visible to us (see secret-credentials.ts): passes once it is.
  'ER_ACCESS_DENIED_ERROR',
  // Another transaction held the rows too long, or deadlock retries ran out.
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  // Aurora answers these on a writer that became a reader during a failover.
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
]);

// better-sqlite3 extended result codes: locked by another process after the busy timeout, the
// file unreadable or the disk full.
const SQLITE_UNAVAILABLE_PREFIXES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
];

// Errors without a code that mean the pool or handle is gone (closed while work was queued).
const CLOSED_MESSAGES = [
  'Pool is closed',
  "Can't add new command when connection is in closed state",
  'The database connection is not open',
  'driver has already been destroyed',
];

// TLS failures: the server is reachable but not trusted. mysql2 replaces Node's code (e.g.
// SELF_SIGNED_CERT_IN_CHAIN) with HANDSHAKE_SSL_ERROR, keeping Node's message.
const TLS_CODES = new Set([
  'HANDSHAKE_SSL_ERROR',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HANDSHAKE_NO_SSL_SUPPORT',
]);

// RDS Data API errors (SDK error names) that pass: the cluster resuming from auto-pause, its writer
// away (failover, scaling), the service busy, or a transaction the service dropped after its
// timeout (the whole event is retried, and recordCoffee is idempotent). Bad SQL, a missing
// database or a refused secret are ours to fix and fail loudly.
const DATA_API_RESUMING = 'DatabaseResumingException';
const DATA_API_UNAVAILABLE_NAMES = new Set([
  DATA_API_RESUMING,
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
  'InternalServerErrorException',
  'ThrottlingException',
  'StatementTimeoutException',
  'TransactionNotFoundException',
  'TimeoutError',
]);

interface DriverError {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  message?: unknown;
}

function driverError(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : {};
}

export function errorCode(error: unknown): string | undefined {
  const { code } = driverError(error);
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The server refused the user name or password: on RDS, a rotated password. */
export function isAccessDenied(error: unknown): boolean {
  return errorCode(error) === 'ER_ACCESS_DENIED_ERROR';
}

export function isTlsVerificationFailure(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && TLS_CODES.has(code);
}

/** InnoDB chose this transaction as a deadlock victim: it was rolled back and may simply run again. */
export function isDeadlock(error: unknown): boolean {
  return errorCode(error) === 'ER_LOCK_DEADLOCK';
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** Aurora Serverless is waking from auto-pause (the Data API's DatabaseResumingException). */
export function isResuming(error: unknown): boolean {
  return error instanceof DatabaseResumingError || errorName(error) === DATA_API_RESUMING;
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const name = errorName(error);
  if (name !== undefined && DATA_API_UNAVAILABLE_NAMES.has(name)) return true;
  const code = errorCode(error);
  if (code !== undefined) {
    if (MYSQL_UNAVAILABLE_CODES.has(code) || TLS_CODES.has(code)) return true;
    if (SQLITE_UNAVAILABLE_PREFIXES.some((prefix) => code.startsWith(prefix))) return true;
  }
  // mysql2 marks errors that broke the connection (network, protocol) as fatal.
  if (driverError(error).fatal === true) return true;
  const message = errorMessage(error);
  return CLOSED_MESSAGES.some((closed) => message.includes(closed));
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = errorMessage(error);
  const name = errorName(error);
  if (name !== undefined && DATA_API_UNAVAILABLE_NAMES.has(name)) return `${name}: ${message}`;
  if (isTlsVerificationFailure(error)) {
    return `TLS verification of the database server failed (${code}: ${message}); check the CA given in the ssl option and the host name`;
  }
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Runs one database operation, turning failures to reach the database into
 * DatabaseUnavailableError (with the driver's error as cause) and letting every other error
 * through as it is.
 */
export async function unavailableAsError<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw error;
    if (isResuming(error)) {
      throw new DatabaseResumingError(
        `${operation}: the database is resuming from auto-pause: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
    if (isUnavailable(error)) {
      throw new DatabaseUnavailableError(`${operation}: database unavailable: ${describe(error)}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The server answered but will not let us in for a reason that does not pass (unknown database…). */
export class DatabaseConnectError extends Error {
  override readonly name = 'DatabaseConnectError';
}

/** Wraps a failure to open a connection, naming where it tried to connect. */
export function connectError(error: unknown, target: string): Error {
  if (error instanceof DatabaseUnavailableError || error instanceof DatabaseConnectError) return error;
  const message = `cannot connect to ${target}: ${describe(error)}`;
  if (isUnavailable(error)) return new DatabaseUnavailableError(message, { cause: error });
  return new DatabaseConnectError(message, { cause: error });
}
