import { open } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { COFFEE_COLUMNS, type LakeColumn, type LakeTableName, TELEMETRY_COLUMNS } from '../../columns.js';
import { sqlIdentifier, sqlString } from '../sql-text.js';

const COLUMNS: Record<LakeTableName, readonly LakeColumn[]> = {
  telemetry: TELEMETRY_COLUMNS,
  coffees: COFFEE_COLUMNS,
};

/**
 * The table's columns as the lake stores them. DuckDB reads Parquet TIMESTAMP_MILLIS as
 * microsecond TIMESTAMPs and would write them back as TIMESTAMP_MICROS: cast back to milliseconds,
 * the lake's (and Athena's) type.
 */
function storedColumns(table: LakeTableName): string {
  return COLUMNS[table]
    .map((column) =>
      column.type === 'timestamp'
        ? `CAST(${sqlIdentifier(column.name)} AS TIMESTAMP_MS) AS ${sqlIdentifier(column.name)}`
        : sqlIdentifier(column.name),
    )
    .join(', ');
}

/**
 * Merges curated Parquet files of one table into one file, row for row (no dedupe: the merged
 * file holds exactly the rows of its inputs), with an in-memory DuckDB of its own. open() / close().
 */
export class ParquetMerger {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<ParquetMerger> {
    const instance = await DuckDBInstance.create(':memory:');
    return new ParquetMerger(instance, await instance.connect());
  }

  /**
   * Writes the rows of `inputs` (absolute paths) to `output`, durably (fsync'd: the inputs are
   * deleted once it is in place). Returns the rows written.
   */
  async merge(table: LakeTableName, inputs: readonly string[], output: string): Promise<number> {
    const files = `[${inputs.map(sqlString).join(', ')}]`;
    const result = await this.connection.runAndReadAll(
      `COPY (SELECT ${storedColumns(table)} FROM read_parquet(${files})) TO ${sqlString(output)} (FORMAT parquet, COMPRESSION snappy)`,
    );
    const handle = await open(output, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
