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
  /** The record's bytes so far: the head, then the readings' JSON with commas between. */
  buffer: Buffer;
  bytes: number;
  readings: number;
}

/** What went out: readings, records and batches the stream accepted. */
export interface BatcherCounts {
  readingsSent: number;
  records: number;
  batches: number;
}

/**
 * Groups readings into one telemetry envelope per device and envelopes into PutRecords-sized
 * batches, and hands each batch to the ingest stream. `add` is synchronous until a batch is full:
 * then it returns the promise of sending it, which the caller awaits before reading on; that is
 * what keeps the CSV read paced by the stream, without an await per line. The stream adapter chunks
 * and resends failed entries itself; a batch it still cannot deliver rejects `add`/`flush`.
 *
 * Each reading's JSON is written straight into its envelope's bytes, so nothing per reading stays
 * alive until the envelope closes (keeping reading objects alive that long was most of the
 * import's garbage-collection time). Readings must already be valid under the contract's reading
 * schema (CsvReadingBuilder's checks are that schema, see reading-rules.ts); the envelope's own
 * fields, with the device's first reading, are checked here with the shared validator the first
 * time a device is seen: they are the same for all its envelopes.
 */
export class EnvelopeBatcher {
  readonly counts: BatcherCounts = { readingsSent: 0, records: 0, batches: 0 };
  private readonly limits: EnvelopeLimits;
  private readonly open = new Map<string, OpenEnvelope>();
  /** Per device: the record's JSON up to the readings' opening bracket, once checked. */
  private readonly heads = new Map<string, { bootId: string; head: string }>();
  /** Envelope buffers closed and copied out, ready for the next envelope. */
  private readonly spare: Buffer[] = [];
  private pendingReadings = 0;
  private batch: IngestRecord[] = [];
  private batchReadings = 0;
  private batchBytes = 0;
  /** Full batches not sent yet, in order. */
  private readonly full: { records: IngestRecord[]; readings: number }[] = [];

  constructor(
    private readonly stream: IngestStream,
    limits: Partial<EnvelopeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_ENVELOPE_LIMITS, ...limits };
  }

  /**
   * Adds one reading, as its JSON (CsvReadingBuilder writes it as it reads the line). Undefined,
   * or a promise to await before the next `add`: a full batch is being sent.
   */
  add(deviceId: string, bootId: string, json: string): Promise<void> | undefined {
    let envelope = this.open.get(deviceId);
    // +1 for the comma between readings, +2 for the closing "]}". The JSON is ASCII (numbers and
    // an ISO time; checked as it is written), so its length is its size in bytes.
    if (envelope && envelope.bytes + 1 + json.length + 2 > this.limits.maxBytes) {
      this.close(deviceId, envelope);
      envelope = undefined;
    }
    if (envelope === undefined) {
      const head = this.headOf(deviceId, bootId, json);
      // Appends keep within maxBytes; a first reading alone may exceed it (as before: it must go).
      const needed = head.length + json.length + 2;
      let buffer = this.spare.pop();
      if (buffer === undefined || buffer.length < needed) {
        buffer = Buffer.allocUnsafe(Math.max(this.limits.maxBytes, needed));
      }
      envelope = { buffer, bytes: buffer.write(head, 0, 'utf8'), readings: 0 };
      this.open.set(deviceId, envelope);
    } else {
      envelope.buffer[envelope.bytes] = 44; // ,
      envelope.bytes += 1;
    }
    const written = envelope.buffer.write(json, envelope.bytes, 'utf8');
    if (written !== json.length) {
      throw new ImportInvariantError(
        `import built a reading for ${deviceId} that is not ASCII JSON: ${json}`,
      );
    }
    envelope.bytes += written;
    envelope.readings += 1;
    this.pendingReadings += 1;
    if (envelope.readings >= this.limits.maxReadings) this.close(deviceId, envelope);
    if (this.pendingReadings >= this.limits.maxPendingReadings) this.closeAll();
    return this.full.length > 0 ? this.sendFull() : undefined;
  }

  /** Closes every envelope and sends what is left. */
  async flush(): Promise<void> {
    this.closeAll();
    this.batchIsFull();
    await this.sendFull();
  }

  /**
   * The record's head for this device. The stream record is the envelope plus "type": "telemetry"
   * and "thing", as the IoT rule makes it (shared/src/ingest-record.ts): here the operator
   * importing the file vouches for the device each line names, as the topic does for a device.
   */
  private headOf(deviceId: string, bootId: string, json: string): string {
    const known = this.heads.get(deviceId);
    if (known !== undefined && known.bootId === bootId) return known.head;
    const checked = validateTelemetryEnvelope({
      v: TELEMETRY_CONTRACT_VERSION,
      deviceId,
      bootId,
      readings: [JSON.parse(json) as TelemetryReading],
    } satisfies TelemetryEnvelope);
    if (!checked.ok) {
      throw new ImportInvariantError(
        `import built an invalid telemetry envelope for ${deviceId}: ${checked.problems.slice(0, 5).join('; ')}`,
      );
    }
    const device = JSON.stringify(deviceId);
    const head = `{"type":${JSON.stringify(TELEMETRY_RECORD_TYPE)},"${THING_FIELD}":${device},"v":${TELEMETRY_CONTRACT_VERSION},"deviceId":${device},"bootId":"${bootId}","readings":[`;
    this.heads.set(deviceId, { bootId, head });
    return head;
  }

  private closeAll(): void {
    for (const [deviceId, envelope] of [...this.open]) this.close(deviceId, envelope);
  }

  private close(deviceId: string, envelope: OpenEnvelope): void {
    this.open.delete(deviceId);
    this.pendingReadings -= envelope.readings;
    const { buffer } = envelope;
    buffer[envelope.bytes] = 93; // ]
    buffer[envelope.bytes + 1] = 125; // }
    // A copy of exactly the record's bytes; the buffer is written over by the next envelope.
    const data = Uint8Array.prototype.slice.call(buffer, 0, envelope.bytes + 2);
    this.spare.push(buffer);
    const bytes = data.length + Buffer.byteLength(deviceId);
    if (
      this.batch.length >= this.limits.maxBatchRecords ||
      this.batchBytes + bytes > this.limits.maxBatchBytes
    ) {
      this.batchIsFull();
    }
    this.batch.push({ partitionKey: deviceId, data });
    this.batchReadings += envelope.readings;
    this.batchBytes += bytes;
    if (this.batch.length >= this.limits.maxBatchRecords) this.batchIsFull();
  }

  private batchIsFull(): void {
    if (this.batch.length === 0) return;
    this.full.push({ records: this.batch, readings: this.batchReadings });
    this.batch = [];
    this.batchReadings = 0;
    this.batchBytes = 0;
  }

  private async sendFull(): Promise<void> {
    for (let next = this.full.shift(); next !== undefined; next = this.full.shift()) {
      await this.stream.putRecords(next.records);
      this.counts.readingsSent += next.readings;
      this.counts.records += next.records.length;
      this.counts.batches += 1;
    }
  }
}
