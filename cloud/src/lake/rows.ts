/**
 * Flat rows as the transform emits them and the lake stores them. Timestamps are
 * `YYYY-MM-DD HH:MM:SS.mmm` UTC strings: what Athena's TIMESTAMP, Firehose's OpenX JSON SerDe and
 * DuckDB all read without a format string. Partition values are zero-padded strings ("2026", "03").
 */
export type LakeTimestamp = string;

export interface PartitionValues {
  ingest_year: string;
  ingest_month: string;
  ingest_day: string;
  ingest_hour: string;
}

export interface TelemetryRow extends PartitionValues {
  device_id: string;
  boot_id: string;
  seq: number;
  ts: LakeTimestamp;
  temperature: number;
  humidity: number;
  pressure: number;
  pitch: number;
  roll: number;
  yaw: number;
  temperature_ambient: number | null;
  temperature_cpu: number | null;
  accel_x: number | null;
  accel_y: number | null;
  accel_z: number | null;
  gyro_x: number | null;
  gyro_y: number | null;
  gyro_z: number | null;
  mag_x: number | null;
  mag_y: number | null;
  mag_z: number | null;
  ingest_time: LakeTimestamp;
}

export interface CoffeeRow extends PartitionValues {
  device_id: string;
  event_id: string;
  photo_key: string;
  captured_at: LakeTimestamp | null;
  analyzed_at: LakeTimestamp;
  status: string;
  reason: string | null;
  analyzer: string | null;
  person_present: boolean | null;
  face_count: number | null;
  smile: boolean | null;
  smile_confidence: number | null;
  eyeglasses: boolean | null;
  eyeglasses_confidence: number | null;
  sunglasses: boolean | null;
  sunglasses_confidence: number | null;
  beard: boolean | null;
  beard_confidence: number | null;
  mustache: boolean | null;
  mustache_confidence: number | null;
  eyes_open: boolean | null;
  eyes_open_confidence: number | null;
  age_low: number | null;
  age_high: number | null;
  emotion: string | null;
  emotion_confidence: number | null;
  ingest_time: LakeTimestamp;
}
