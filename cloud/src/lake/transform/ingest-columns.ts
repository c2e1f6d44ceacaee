import { partitionValuesOf } from '../layout.js';
import type { LakeTimestamp, PartitionValues } from '../rows.js';
import { lakeTimestampOfDate } from './timestamps.js';

/** The columns every row of one stream record shares: when the stream received it. */
export interface IngestColumns extends PartitionValues {
  ingest_time: LakeTimestamp;
}

const HOUR_MS = 3_600_000;
const pad = (value: number, width: number) => String(value).padStart(width, '0');

// One entry each, since records arrive in time order: the last millisecond (records of one
// PutRecords call often share it) and the last hour (its partition values and the
// "YYYY-MM-DD HH:" prefix, so that a new millisecond in the same hour is a little arithmetic
// instead of toISOString and a new partition object).
let lastMs = Number.NaN;
let lastColumns: IngestColumns | undefined;
let hourStart = Number.NaN;
let hourPrefix = '';
let hourPartition: PartitionValues | undefined;

/** Computed once per record, not per reading. Throws RangeError for an invalid Date. */
export function ingestColumnsOf(arrivedAt: Date): IngestColumns {
  const ms = arrivedAt.getTime();
  if (ms === lastMs && lastColumns !== undefined) return lastColumns;
  let ingestTime: LakeTimestamp;
  if (hourPartition !== undefined && ms >= hourStart && ms < hourStart + HOUR_MS) {
    const inHour = ms - hourStart;
    ingestTime = `${hourPrefix}${pad(Math.floor(inHour / 60_000), 2)}:${pad(Math.floor(inHour / 1000) % 60, 2)}.${pad(inHour % 1000, 3)}`;
  } else {
    ingestTime = lakeTimestampOfDate(arrivedAt);
    hourStart = Math.floor(ms / HOUR_MS) * HOUR_MS;
    hourPrefix = ingestTime.slice(0, 14);
    hourPartition = partitionValuesOf(arrivedAt);
  }
  const columns: IngestColumns = { ingest_time: ingestTime, ...hourPartition };
  lastMs = ms;
  lastColumns = columns;
  return columns;
}
