import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of the coffee database, the same on Aurora MySQL and SQLite.
 *
 * Portable on purpose: times are `YYYY-MM-DD HH:MM:SS.mmm` UTC strings (MySQL DATETIME(3) read with
 * `dateStrings`, SQLite TEXT), so they sort and compare alike on both; flags are 0/1 integers
 * (MySQL TINYINT, SQLite INTEGER) and are mapped to booleans in the repositories.
 */
export interface Database {
  devices: DevicesTable;
  coffees: CoffeesTable;
  provisioning_serials: ProvisioningSerialsTable;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC; see db/time.ts. */
export type DbTime = string;
/** 0/1 flag, null when unknown. */
export type DbFlag = number | null;

export interface DevicesTable {
  thing_name: string;
  owner: string | null;
  location: string | null;
  model: string | null;
  /** First photo seen from this thing; null for a device registered before it sent anything. */
  first_seen_at: DbTime | null;
  last_seen_at: DbTime | null;
  updated_at: DbTime;
}

export interface CoffeesTable {
  id: Generated<number>;
  photo_key: string;
  device_id: string;
  event_id: string;
  captured_at: DbTime | null;
  /** UTC day (yyyy-mm-dd) and hour (0-23) of the coffee (capture time, else analysis time), kept as
   * columns so per-day and per-hour stats group the same way on MySQL and SQLite. */
  coffee_day: string;
  coffee_hour: number;
  analyzed_at: DbTime;
  status: string;
  reason: string | null;
  analyzer: string | null;
  person_present: DbFlag;
  face_count: number | null;
  smile: DbFlag;
  smile_confidence: number | null;
  eyeglasses: DbFlag;
  eyeglasses_confidence: number | null;
  sunglasses: DbFlag;
  sunglasses_confidence: number | null;
  beard: DbFlag;
  beard_confidence: number | null;
  mustache: DbFlag;
  mustache_confidence: number | null;
  eyes_open: DbFlag;
  eyes_open_confidence: number | null;
  age_low: number | null;
  age_high: number | null;
  emotion: string | null;
  emotion_confidence: number | null;
  /** The analyzer's raw answer (Rekognition FaceDetails) as JSON text. */
  face_details: string | null;
  /** When the coffee record reached the ingest stream; null until then (migration 0002). */
  streamed_at: ColumnType<DbTime | null, DbTime | null | undefined, DbTime | null>;
}

/** The fleet provisioning allow-list (migration 0003): one row per allowed serial. */
export interface ProvisioningSerialsTable {
  serial: string;
  note: string | null;
  allowed_at: DbTime;
  /** The certificate the serial was provisioned with; null while unused. */
  certificate_id: string | null;
  claim_certificate_id: string | null;
  claimed_at: DbTime | null;
}
