import { readdir } from 'node:fs/promises';
import { createLakeViews } from '@coffee-iot/cloud/lake';
import { DuckDBInstance } from '@duckdb/node-api';

/** Runs `sql` against fresh views over the lake (what `coffee-iot query` sees); rows as plain JSON values. */
export async function queryLake(lakeDir: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await createLakeViews(connection, lakeDir, []);
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** The Parquet files of one curated table's ingest hour, e.g. ('telemetry', '2026-03-05T10'). */
export async function curatedFiles(lakeDir: string, table: string, hour: string): Promise<string[]> {
  const [day, hh] = hour.split('T') as [string, string];
  const [yyyy, mm, dd] = day.split('-');
  const dir = `${lakeDir}/curated/${table}/ingest_year=${yyyy}/ingest_month=${mm}/ingest_day=${dd}/ingest_hour=${hh}`;
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.parquet')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
