import { createFirehoseClient, createFirehoseSender } from '../lake/firehose/firehose-client.js';
import { createFirehoseIngestStream } from './firehose-ingest-stream.js';
import type { IngestStream } from './ingest-stream.js';
import { describeIngestTarget, type IngestTarget } from './ingest-target-config.js';
import { createKinesisClient, createKinesisIngestStream } from './kinesis-stream.js';
import type { RetryPolicy } from './retry-policy.js';

export interface OpenIngestStreamOptions {
  /** Defaults to the SDK's chain (AWS_REGION in Lambda). */
  region?: string;
  /** A local endpoint (kinesalite, moto_server); AWS's own when absent. */
  endpoint?: string;
  /** The adapters' default suits one photo at a time; an import waits longer (import-retry.ts). */
  retry?: Partial<RetryPolicy>;
}

/** An ingest stream with its own SDK client. */
export interface OpenedIngestStream {
  stream: IngestStream;
  /** "Kinesis stream NAME" / "Firehose delivery stream NAME". */
  description: string;
  /** Releases the client's sockets. */
  close(): void;
}

/**
 * Opens the adapter the target names, with a client of its own: Kinesis PutRecords or Firehose
 * PutRecordBatch (Direct PUT). Both behave alike behind the IngestStream port (one delivery
 * contract, ingest-stream-delivery.test.ts), so callers need not know which they got.
 */
export function openIngestStream(
  target: IngestTarget,
  options: OpenIngestStreamOptions = {},
): OpenedIngestStream {
  const client = {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  };
  const retry = options.retry === undefined ? {} : { retry: { retry: options.retry } };
  const description = describeIngestTarget(target);
  if (target.kind === 'kinesis') {
    const kinesis = createKinesisClient(client);
    return {
      stream: createKinesisIngestStream({ client: kinesis, streamName: target.streamName, ...retry }),
      description,
      close: () => kinesis.destroy(),
    };
  }
  const firehose = createFirehoseClient(client);
  return {
    stream: createFirehoseIngestStream({
      send: createFirehoseSender(firehose)(target.deliveryStream),
      deliveryStream: target.deliveryStream,
      // One lake record per line in raw/, as the telemetry rule's records are.
      recordTerminator: '\n',
      ...retry,
    }),
    description,
    close: () => firehose.destroy(),
  };
}
