/**
 * The lake's tables, column by column: the one definition the TypeScript transform, the Glue
 * table (and Firehose's Parquet conversion through it), the Glue streaming script and the local
 * DuckDB lake all follow. A test holds the JSON Schemas, this file and the PySpark script together.
 */
export type LakeColumnType = 'string' | 'bigint' | 'int' | 'double' | 'boolean' | 'timestamp';

export interface LakeColumn {
  readonly name: string;
  readonly type: LakeColumnType;
  /** Where the value comes from: a reading's / coffee record's field, or 'ingest' for ingest-time columns. */
  readonly source: string;
  readonly required: boolean;
}

const column = (name: string, type: LakeColumnType, source: string, required = false): LakeColumn =>
  Object.freeze({ name, type, source, required });

/** One row per reading: the envelope's ids, the reading's fields, when the stream received it. */
export const TELEMETRY_COLUMNS: readonly LakeColumn[] = Object.freeze([
  column('device_id', 'string', 'deviceId', true),
  column('boot_id', 'string', 'bootId', true),
  column('seq', 'bigint', 'seq', true),
  column('ts', 'timestamp', 'ts', true),
  column('temperature', 'double', 'temperature', true),
  column('humidity', 'double', 'humidity', true),
  column('pressure', 'double', 'pressure', true),
  column('pitch', 'double', 'pitch', true),
  column('roll', 'double', 'roll', true),
  column('yaw', 'double', 'yaw', true),
  column('temperature_ambient', 'double', 'temperatureAmbient'),
  column('temperature_cpu', 'double', 'temperatureCpu'),
  column('accel_x', 'double', 'accelX'),
  column('accel_y', 'double', 'accelY'),
  column('accel_z', 'double', 'accelZ'),
  column('gyro_x', 'double', 'gyroX'),
  column('gyro_y', 'double', 'gyroY'),
  column('gyro_z', 'double', 'gyroZ'),
  column('mag_x', 'double', 'magX'),
  column('mag_y', 'double', 'magY'),
  column('mag_z', 'double', 'magZ'),
  column('ingest_time', 'timestamp', 'ingest', true),
]);

/** One row per analysed photo: the coffee record (shared/src/schemas/coffee-record-v1) flattened. */
export const COFFEE_COLUMNS: readonly LakeColumn[] = Object.freeze([
  column('device_id', 'string', 'deviceId', true),
  column('event_id', 'string', 'eventId', true),
  column('photo_key', 'string', 'photoKey', true),
  column('captured_at', 'timestamp', 'capturedAt'),
  column('analyzed_at', 'timestamp', 'analyzedAt', true),
  column('status', 'string', 'status', true),
  column('reason', 'string', 'reason'),
  column('analyzer', 'string', 'analyzer'),
  column('person_present', 'boolean', 'personPresent'),
  column('face_count', 'int', 'faceCount'),
  column('smile', 'boolean', 'smile'),
  column('smile_confidence', 'double', 'smileConfidence'),
  column('eyeglasses', 'boolean', 'eyeglasses'),
  column('eyeglasses_confidence', 'double', 'eyeglassesConfidence'),
  column('sunglasses', 'boolean', 'sunglasses'),
  column('sunglasses_confidence', 'double', 'sunglassesConfidence'),
  column('beard', 'boolean', 'beard'),
  column('beard_confidence', 'double', 'beardConfidence'),
  column('mustache', 'boolean', 'mustache'),
  column('mustache_confidence', 'double', 'mustacheConfidence'),
  column('eyes_open', 'boolean', 'eyesOpen'),
  column('eyes_open_confidence', 'double', 'eyesOpenConfidence'),
  column('age_low', 'int', 'ageLow'),
  column('age_high', 'int', 'ageHigh'),
  column('emotion', 'string', 'emotion'),
  column('emotion_confidence', 'double', 'emotionConfidence'),
  column('ingest_time', 'timestamp', 'ingest', true),
]);

/** Hive-style partitions by ingest time (UTC), what Glue's ingestion-time columns produce. */
export const PARTITION_COLUMNS = Object.freeze([
  'ingest_year',
  'ingest_month',
  'ingest_day',
  'ingest_hour',
] as const);
export type PartitionColumn = (typeof PARTITION_COLUMNS)[number];

export const LAKE_TABLES = Object.freeze({ telemetry: TELEMETRY_COLUMNS, coffees: COFFEE_COLUMNS });
export type LakeTableName = keyof typeof LAKE_TABLES;
