import {
  TELEMETRY_CONTRACT_VERSION,
  TELEMETRY_RECORD_TYPE,
  type TelemetryEnvelope,
  type TelemetryReading,
  THING_FIELD,
  validateTelemetryEnvelope,
} from '@coffee-iot/shared';
import type { IngestRecord, IngestStream } from '../../stream/ingest-stream.js';
import { KINESIS_PUT_RECORDS_LIMITS } from '../../stream/put-records-limits.js';
import { ImportInvariantError } from './import-errors.js';

export interface EnvelopeLimits {
  /** Readings in one envelope. */
  maxReadings: number;
  /**
   * JSON bytes of one envelope. 120 KB keeps every imported envelope within what IoT Core could have
   * delivered (128 KB payloads), so consumers never see a record larger than a live catch-up's,
   * and far below Kinesis's 1 MiB per record.
   */
  maxBytes: number;
  /**
   * Readings held in unfinished envelopes over all devices; past it every envelope is closed, so a
   * file with many interleaved devices cannot hold a growing set of half-full envelopes.
   */
  maxPendingReadings: number;
  /** Records per stream batch (PutRecords takes 500). */
  maxBatchRecords: number;
  /** Data plus partition key bytes per batch (PutRecords takes 5 MiB). */
  maxBatchBytes: number;
}

export const DEFAULT_ENVELOPE_LIMITS: Readonly<EnvelopeLimits> = Object.freeze({
  maxReadings: 500,
  maxBytes: 120_000,
  maxPendingReadings: 5_000,
  maxBatchRecords: KINESIS_PUT_RECORDS_LIMITS.maxEntries,
  maxBatchBytes: KINESIS_PUT_RECORDS_LIMITS.maxBatchBytes,
});

interface OpenEnvelope {
  bootId: string;
  readings: TelemetryReading[];
  /** JSON text of each reading, spliced into the record as is. */
  parts: string[];
  bytes: number;
}

/** What went out: readings, records and batches the stream accepted. */
export interface BatcherCounts {
  readingsSent: number;
  records: number;
  batches: number;
}

const encoder = new TextEncoder();

/**
 * Groups readings into one telemetry envelope per device and envelopes into PutRecords-sized
 * batches, and hands each batch to the ingest stream, awaiting it: `add` returns only once there is
 * room again, which is what keeps the CSV read paced by the stream. The stream adapter chunks and
 * resends failed entries itself; a batch it still cannot deliver rejects `add`/`flush`.
 */
export class EnvelopeBatcher {
  readonly counts: BatcherCounts = { readingsSent: 0, records: 0, batches: 0 };
  private readonly limits: EnvelopeLimits;
  private readonly open = new Map<string, OpenEnvelope>();
  private pendingReadings = 0;
  private batch: IngestRecord[] = [];
  private batchReadings = 0;
  private batchBytes = 0;

  constructor(
    private readonly stream: IngestStream,
    limits: Partial<EnvelopeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_ENVELOPE_LIMITS, ...limits };
  }

  async add(deviceId: string, bootId: string, reading: TelemetryReading): Promise<void> {
    const json = JSON.stringify(reading);
    let envelope = this.open.get(deviceId);
    // +1 for the comma between readings.
    if (envelope && envelope.bytes + json.length + 1 > this.limits.maxBytes) {
      await this.close(deviceId, envelope);
      envelope = undefined;
    }
    if (envelope === undefined) {
      envelope = { bootId, readings: [], parts: [], bytes: envelopeHead(deviceId, bootId).length + 2 };
      this.open.set(deviceId, envelope);
    }
    envelope.readings.push(reading);
    envelope.parts.push(json);
    envelope.bytes += json.length + (envelope.parts.length > 1 ? 1 : 0);
    this.pendingReadings += 1;
    if (envelope.readings.length >= this.limits.maxReadings) await this.close(deviceId, envelope);
    if (this.pendingReadings >= this.limits.maxPendingReadings) await this.closeAll();
  }

  /** Closes every envelope and sends what is left. */
  async flush(): Promise<void> {
    await this.closeAll();
    await this.sendBatch();
  }

  private async closeAll(): Promise<void> {
    for (const [deviceId, envelope] of [...this.open]) await this.close(deviceId, envelope);
  }

  private async close(deviceId: string, envelope: OpenEnvelope): Promise<void> {
    this.open.delete(deviceId);
    this.pendingReadings -= envelope.readings.length;
    const checked = validateTelemetryEnvelope({
      v: TELEMETRY_CONTRACT_VERSION,
      deviceId,
      bootId: envelope.bootId,
      readings: envelope.readings,
    } satisfies TelemetryEnvelope);
    if (!checked.ok) {
      throw new ImportInvariantError(
        `import built an invalid telemetry envelope for ${deviceId}: ${checked.problems.slice(0, 5).join('; ')}`,
      );
    }
    // The stream record is the envelope plus "type": "telemetry" and "thing", as the IoT rule
    // makes it (shared/src/ingest-record.ts): here the operator importing the file vouches for
    // the device each line names, as the topic does for a device. Spliced from the readings' JSON
    // rather than serialised again.
    const data = encoder.encode(`${envelopeHead(deviceId, envelope.bootId)}${envelope.parts.join(',')}]}`);
    const bytes = data.length + Buffer.byteLength(deviceId);
    if (
      this.batch.length >= this.limits.maxBatchRecords ||
      this.batchBytes + bytes > this.limits.maxBatchBytes
    ) {
      await this.sendBatch();
    }
    this.batch.push({ partitionKey: deviceId, data });
    this.batchReadings += envelope.readings.length;
    this.batchBytes += bytes;
    if (this.batch.length >= this.limits.maxBatchRecords) await this.sendBatch();
  }

  private async sendBatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    const readings = this.batchReadings;
    this.batch = [];
    this.batchReadings = 0;
    this.batchBytes = 0;
    await this.stream.putRecords(batch);
    this.counts.readingsSent += readings;
    this.counts.records += batch.length;
    this.counts.batches += 1;
  }
}

function envelopeHead(deviceId: string, bootId: string): string {
  const device = JSON.stringify(deviceId);
  return `{"type":${JSON.stringify(TELEMETRY_RECORD_TYPE)},"${THING_FIELD}":${device},"v":${TELEMETRY_CONTRACT_VERSION},"deviceId":${device},"bootId":"${bootId}","readings":[`;
}
