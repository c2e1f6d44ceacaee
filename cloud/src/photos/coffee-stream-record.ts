import type { CoffeeRecord } from '@coffee-iot/shared';
import type { IngestRecord } from '../stream/ingest-stream.js';

const encoder = new TextEncoder();

/** A coffee record as one ingest-stream record: JSON, partitioned by device like telemetry. */
export function toIngestRecord(record: CoffeeRecord): IngestRecord {
  return { partitionKey: record.deviceId, data: encoder.encode(JSON.stringify(record)) };
}
