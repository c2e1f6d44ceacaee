import { join } from 'node:path';
import { createKinesisIngestStream, type IngestStream } from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import { type LocalKinesis, startLocalKinesis } from '../../kinesis/local-kinesis.js';
import type { RunningPart } from '../stack-parts.js';

export interface StreamPart extends RunningPart {
  kinesis: LocalKinesis;
  /** The same adapter the Lambdas write through. */
  ingestStream: IngestStream;
}

/** The ingest stream: kinesalite with its data in the data directory. */
export async function startStreamPart(
  dataDir: string,
  port: number,
  shards: number,
  logger: Logger,
): Promise<StreamPart> {
  const kinesis = await startLocalKinesis({ directory: join(dataDir, 'kinesis'), port, shards, logger });
  return {
    ready: `${kinesis.endpoint} (stream ${kinesis.streamName}, ${shards} shards${kinesis.durable ? '' : ', in memory only'})`,
    stop: kinesis.stop,
    kinesis,
    ingestStream: createKinesisIngestStream({ client: kinesis.client, streamName: kinesis.streamName }),
  };
}
