import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  DOUBLE,
  type DuckDBConnection,
  type DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTableFunction,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import { publishFile, tempPathFor } from './atomic-file.js';
import type { ColumnBatch, EncodedColumn } from './column-batch.js';
import { sqlIdentifier, sqlString } from './sql-text.js';

const BATCH_FUNCTION = 'coffee_iot_lake_batch';
/** DuckDB's vector size: a table function hands over at most this many rows per call. */
const CHUNK_ROWS = 2048;

/**
 * The Parquet type each lake column is written as: exactly columns.ts, timestamps in
 * milliseconds (Parquet TIMESTAMP_MILLIS, which Athena reads; never nanoseconds).
 */
function columnExpression(encoded: EncodedColumn, parameter: number): string {
  const name = sqlIdentifier(encoded.column.name);
  switch (encoded.column.type) {
    case 'string':
      return `$${parameter}[${name}] AS ${name}`;
    case 'double':
      return name;
    case 'bigint':
      return `CAST(${name} AS BIGINT) AS ${name}`;
    case 'int':
      return `CAST(${name} AS INTEGER) AS ${name}`;
    case 'boolean':
      return `CAST(${name} AS BOOLEAN) AS ${name}`;
    case 'timestamp':
      return `CAST(epoch_ms(CAST(${name} AS BIGINT)) AS TIMESTAMP_MS) AS ${name}`;
  }
}

function fillVector(
  chunk: DuckDBDataChunk,
  index: number,
  encoded: EncodedColumn,
  from: number,
  count: number,
) {
  const vector = chunk.getColumnVector(index);
  if (encoded.kind === 'text') {
    const codes = encoded.codes;
    for (let i = 0; i < count; i += 1) vector.setItem(i, codes[from + i] as number);
  } else {
    const { values, nulls } = encoded;
    if (nulls === undefined) {
      for (let i = 0; i < count; i += 1) vector.setItem(i, values[from + i] as number);
    } else {
      for (let i = 0; i < count; i += 1)
        vector.setItem(i, nulls[from + i] ? null : (values[from + i] as number));
    }
  }
  vector.flush();
}

/**
 * Writes column batches as Parquet files with an in-memory DuckDB, which nothing else uses. The
 * rows reach DuckDB through a table function reading the batch's typed arrays, straight into
 * `COPY (SELECT …) TO`: no intermediate table (appending to one costs as much again as the
 * Parquet encoding) and no text round trip. Each file is written under a temporary name and
 * renamed when complete, so a reader never sees half a file.
 *
 * Two connections, so two batches can be written at once (each query runs on a thread of libuv's
 * pool, encoding while the caller transforms the next batch). open() / close().
 */
export class ParquetWriter {
  private readonly pending = new Map<number, ColumnBatch>();
  private nextBatchId = 1;
  private readonly connections: DuckDBConnection[] = [];
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((connection: DuckDBConnection) => void)[] = [];
  private closed = false;
  private readonly writing = new Set<Promise<void>>();

  private constructor(private readonly instance: DuckDBInstance) {}

  /**
   * `threads`: DuckDB's threads. One by default: a COPY fed by a table function has one source,
   * so a second thread only adds hand-overs between them; measured on 30,000 readings, a write
   * took 22 to 27 ms of CPU with one thread against 37 to 39 with two. Two batches still encode
   * at once, each on the thread that runs its query (one per connection).
   */
  static async open(options: { connections?: number; threads?: number } = {}): Promise<ParquetWriter> {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(options.threads ?? 1) });
    const writer = new ParquetWriter(instance);
    try {
      for (let i = 0; i < (options.connections ?? 2); i += 1) {
        const connection = await instance.connect();
        connection.registerTableFunction(writer.batchFunction());
        writer.connections.push(connection);
        writer.idle.push(connection);
      }
    } catch (error) {
      writer.closeConnections();
      throw error;
    }
    return writer;
  }

  private batchFunction(): DuckDBTableFunction {
    return DuckDBTableFunction.create({
      name: BATCH_FUNCTION,
      parameterTypes: [INTEGER],
      bindFunction: (info) => {
        const id = info.getParameter(0) as number;
        const batch = this.pending.get(id);
        if (batch === undefined) {
          info.setError(`no pending lake batch ${id}`);
          return;
        }
        for (const encoded of batch.columns) {
          info.addResultColumn(encoded.column.name, encoded.kind === 'text' ? INTEGER : DOUBLE);
        }
        info.setBindData({ id });
      },
      initFunction: (info) => info.setInitData({ next: 0 }),
      mainFunction: (info, output) => {
        const { id } = info.bindData as { id: number };
        const state = info.initData as { next: number };
        const batch = this.pending.get(id);
        const count = batch === undefined ? 0 : Math.min(CHUNK_ROWS, batch.rowCount - state.next);
        output.rowCount = count;
        if (batch === undefined || count === 0) return;
        batch.columns.forEach((encoded, index) => {
          fillVector(output, index, encoded, state.next, count);
        });
        state.next += count;
      },
    });
  }

  private acquire(): Promise<DuckDBConnection> {
    const connection = this.idle.pop();
    if (connection !== undefined) return Promise.resolve(connection);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(connection);
    else this.idle.push(connection);
  }

  /** Writes `batch` (the columns of one table, in order) to `path` as one Parquet file. */
  write(batch: ColumnBatch, path: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the Parquet writer is closed'));
    // An empty dictionary would have no element type; an empty file is nobody's intent.
    if (batch.rowCount === 0) return Promise.reject(new RangeError(`no rows to write to ${path}`));
    const written = this.writeFile(batch, path);
    this.writing.add(written);
    const forget = () => this.writing.delete(written);
    written.then(forget, forget);
    return written;
  }

  private async writeFile(batch: ColumnBatch, path: string): Promise<void> {
    const id = this.nextBatchId;
    this.nextBatchId += 1;
    this.pending.set(id, batch);
    const dictionaries = batch.columns.flatMap((encoded) =>
      encoded.kind === 'text' ? [listValue(encoded.dictionary)] : [],
    );
    let parameter = 0;
    const select = batch.columns
      .map((encoded) => columnExpression(encoded, encoded.kind === 'text' ? ++parameter : 0))
      .join(', ');
    await mkdir(dirname(path), { recursive: true });
    const temp = tempPathFor(path);
    const connection = await this.acquire();
    try {
      await connection.run(
        `COPY (SELECT ${select} FROM ${BATCH_FUNCTION}(${id})) TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION snappy)`,
        dictionaries,
        // Typed: an all-NULL column has an empty dictionary, whose element type DuckDB cannot guess.
        dictionaries.map(() => LIST(VARCHAR)),
      );
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    } finally {
      this.pending.delete(id);
      this.release(connection);
    }
    await publishFile(temp, path);
  }

  /** The rows of a Parquet file, from its footer. */
  async countParquetRows(path: string): Promise<number> {
    const connection = await this.acquire();
    try {
      const reader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(path)})`);
      return Number(reader.getRows()[0]?.[0] ?? 0);
    } finally {
      this.release(connection);
    }
  }

  private closeConnections(): void {
    for (const connection of this.connections) connection.closeSync();
    this.instance.closeSync();
  }

  /** Waits for the writes under way, then releases DuckDB. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.writing]);
    this.closeConnections();
  }
}
