import type { IngestStream } from '../../stream/ingest-stream.js';
import { createKinesisClient, createKinesisIngestStream } from '../../stream/kinesis-stream.js';
import { IMPORT_RETRY_POLICY } from './import-retry.js';

/** Where `coffee-iot import` sends readings. */
export interface ImportTarget {
  stream: IngestStream;
  /** For the report: "the local lake at .local/lake", "Kinesis stream coffee-ingest". */
  description: string;
  /** Flushes and releases what the target holds (the lake's files, the SDK's sockets). */
  close(): Promise<void>;
}

/** The local lake module cannot be loaded. */
export class LocalLakeUnavailableError extends Error {
  override readonly name = 'LocalLakeUnavailableError';
}

/**
 * The local DuckDB lake (cloud/src/lake/local), imported only when asked for: the Kinesis path
 * then never loads DuckDB, which has no binding for some platforms (armv7: DESIGN.md).
 */
export async function openLakeTarget(lakeDir: string, now: () => Date): Promise<ImportTarget> {
  let local: typeof import('../local/index.js');
  try {
    local = await import('../local/index.js');
  } catch (cause) {
    throw new LocalLakeUnavailableError(
      `the local lake cannot be loaded (${(cause as Error).message}); import into a Kinesis stream with --stream NAME instead`,
      { cause },
    );
  }
  const lake = await local.openLocalLake(lakeDir, { now });
  return {
    stream: new local.LocalLakeStream(lake),
    description: `the local lake at ${lakeDir}`,
    close: () => lake.close(),
  };
}

export interface KinesisTargetOptions {
  streamName: string;
  region?: string;
  /** A local endpoint (kinesalite); AWS's own when absent. */
  endpoint?: string;
}

export function openKinesisTarget(options: KinesisTargetOptions): ImportTarget {
  const client = createKinesisClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
  return {
    stream: createKinesisIngestStream({
      client,
      streamName: options.streamName,
      retry: { retry: IMPORT_RETRY_POLICY },
    }),
    description: `Kinesis stream ${options.streamName}`,
    async close() {
      client.destroy();
    },
  };
}
