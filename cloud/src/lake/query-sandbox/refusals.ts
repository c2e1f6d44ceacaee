/** The statement is not one `coffee-iot query` runs, or reached for a file it may not: exit 1, the message says why. */
export class QueryRefusedError extends Error {
  override readonly name = 'QueryRefusedError';
}

const EXTRACT_PREFIX = 'Failed to extract statements: ';

/** DuckDB's message without the prefix the binding adds to it. */
export function duckdbMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(EXTRACT_PREFIX) ? message.slice(EXTRACT_PREFIX.length) : message;
}

/**
 * DuckDB's file gate refusing a path (a Permission Error: the sandbox allows only the Parquet
 * files the views read) as a QueryRefusedError; undefined for any other error.
 */
export function fileGateRefusal(error: unknown): QueryRefusedError | undefined {
  const [line = ''] = duckdbMessage(error).split('\n');
  if (!line.startsWith('Permission Error:')) return undefined;
  return new QueryRefusedError(
    `refused: coffee-iot query reads only the lake's Parquet files (those its tables read); DuckDB: ${line.trim()}`,
    { cause: error },
  );
}
