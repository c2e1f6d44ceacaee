import type { IngestStream } from '../../stream/ingest-stream.js';
import type { IngestTarget } from '../../stream/ingest-target-config.js';
import { openIngestStream } from '../../stream/open-ingest-stream.js';
import { IMPORT_RETRY_POLICY } from './import-retry.js';

/** Where `coffee-iot import` sends readings. */
export interface ImportTarget {
  stream: IngestStream;
  /**
   * For the report: "the local lake at .local/lake", "Kinesis stream coffee-ingest", "Firehose
   * delivery stream coffee-iot-telemetry".
   */
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

export interface StreamTargetOptions {
  region?: string;
  /** A local endpoint (kinesalite, moto_server); AWS's own when absent. */
  endpoint?: string;
}

/**
 * A Kinesis ingest stream or a Firehose delivery stream (Direct PUT), waiting out throttling at
 * the import's pace (IMPORT_RETRY_POLICY). The description names which: "Kinesis stream NAME",
 * "Firehose delivery stream NAME".
 */
export function openStreamTarget(target: IngestTarget, options: StreamTargetOptions = {}): ImportTarget {
  const opened = openIngestStream(target, { ...options, retry: IMPORT_RETRY_POLICY });
  return {
    stream: opened.stream,
    description: opened.description,
    async close() {
      opened.close();
    },
  };
}

export interface KinesisTargetOptions extends StreamTargetOptions {
  streamName: string;
}

export function openKinesisTarget(options: KinesisTargetOptions): ImportTarget {
  const { streamName, ...rest } = options;
  return openStreamTarget({ kind: 'kinesis', streamName }, rest);
}
