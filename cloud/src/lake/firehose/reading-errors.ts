import { createHash } from 'node:crypto';
import type { LakeTableName } from '../columns.js';
import { LAKE_PREFIXES, partitionPath, partitionValuesOf } from '../layout.js';
import type { RejectedRecord } from '../transform-types.js';

/** Where the transformation writes refused readings: `errors/readings/{table}/ingest_year=…/…/`. */
export const READING_ERRORS_PREFIX = `${LAKE_PREFIXES.errors}/readings/`;

/** One refused reading of a record whose answer is final, and when its record arrived. */
export interface ReadingError {
  /** The Firehose recordId of the record the reading came in. */
  recordId: string;
  arrivedAt: Date;
  /** From the transform: id `{recordId}#/readings/{i}`, reason, the reading's JSON, whose it is. */
  rejected: RejectedRecord;
}

/**
 * One errors line: the local lake's error line (id, arrivedAt, reason, data) plus who and which,
 * so a reading can be found without parsing `data`.
 */
export interface ReadingErrorLine {
  id: string;
  arrivedAt: string;
  reason: string;
  /** The reading as received, JSON. */
  data: string;
  recordId: string;
  deviceId: string | null;
  bootId: string | null;
  seq: number | null;
  table: LakeTableName;
}

export interface ReadingErrorFile {
  key: string;
  body: string;
  /** Readings in the file. */
  lines: number;
}

/**
 * The refused readings as errors files, one per arrival hour (the lake's ingest_* partition, as
 * for the rows). A file's name is a hash of its lines, not the invocation id: Firehose
 * retries a failed invocation with the same records, which then land under the same keys and
 * replace the first attempt's files instead of doubling them.
 */
export function readingErrorFiles(errors: readonly ReadingError[], table: LakeTableName): ReadingErrorFile[] {
  const byHour = new Map<string, string[]>();
  for (const error of errors) {
    const hour = `${READING_ERRORS_PREFIX}${table}/${partitionPath(partitionValuesOf(error.arrivedAt))}`;
    const { rejected } = error;
    const line: ReadingErrorLine = {
      id: rejected.id,
      arrivedAt: error.arrivedAt.toISOString(),
      reason: rejected.reason,
      data: rejected.data,
      recordId: error.recordId,
      deviceId: rejected.reading?.deviceId ?? null,
      bootId: rejected.reading?.bootId ?? null,
      seq: rejected.reading?.seq ?? null,
      table,
    };
    let lines = byHour.get(hour);
    if (lines === undefined) {
      lines = [];
      byHour.set(hour, lines);
    }
    lines.push(JSON.stringify(line));
  }
  return [...byHour].map(([hour, lines]) => {
    const body = `${lines.join('\n')}\n`;
    const name = createHash('sha256').update(body).digest('hex').slice(0, 32);
    return { key: `${hour}/${name}.json`, body, lines: lines.length };
  });
}
