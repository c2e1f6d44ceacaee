import type { TelemetryReading } from '@coffee-iot/shared';
import type { CauseCounts } from './storage-cause.js';
import type { StorageFailure } from './write-failures.js';

/** A reading as it waits on disk: its JSON is stored once and reused verbatim in envelopes. */
export interface SpooledReading {
  seq: number;
  /** Epoch ms of the reading's `ts`, for age-based expiry and "oldest unsent". */
  takenAtMs: number;
  /** bootId of the agent process that took the reading. */
  bootId: string;
  /** `JSON.stringify(reading)`, exactly what goes into the envelope's `readings` array. */
  json: string;
}

export interface SpoolLimits {
  /** Most readings kept; the oldest are dropped first. 0 = unlimited. */
  maxReadings: number;
  /** Most bytes of reading JSON kept; the oldest are dropped first. 0 = unlimited. */
  maxBytes: number;
  /** Readings older than this are dropped. 0 = unlimited. */
  maxAgeSeconds: number;
}

export interface SpoolStats {
  depth: number;
  bytes: number;
  /** Epoch ms of the oldest unacknowledged reading, null when empty. */
  oldestTakenAtMs: number | null;
  /** Readings dropped by the caps since the spool file was created (persisted). */
  dropped: number;
  /** Highest seq ever assigned (persisted, so seq stays monotonic across restarts). */
  lastSeq: number;
  /**
   * Readings that could not be stored, per cause, since the spool file was created. Persisted
   * with the next reading stored after an episode; their seqs are missing from the data.
   */
  unstored: CauseCounts;
  /** The write-failure episode in progress, null while readings are being stored. */
  failing: StorageFailure | null;
}

/**
 * Durable FIFO of readings. Every reading is committed to disk before `append` returns,
 * and removed only by `acknowledge` after the broker's PUBACK.
 */
export interface ReadingSpool {
  /**
   * Assigns the next seq, stores the reading durably and returns it with its seq. When the
   * storage refuses the write it throws ReadingsNotStoredError: the seq is used up, and the
   * reading is counted in `stats().unstored`.
   */
  append(reading: Omit<TelemetryReading, 'seq'>, bootId: string): TelemetryReading;
  /** Oldest readings with seq > afterSeq, in seq order, at most `limit` of them. */
  readAfter(afterSeq: number, limit: number): SpooledReading[];
  /** Deletes the given seqs (acknowledged by the broker). Unknown seqs are ignored. */
  acknowledge(seqs: readonly number[]): void;
  /** Applies the caps now; returns how many readings were dropped. */
  enforceLimits(): number;
  /**
   * From the seq the function returns on (none: null), readings are not dropped for their age:
   * their stored time comes from a clock not yet trusted (device/src/clock/), and a stale clock
   * stepped forward by NTP would make them all look older than `maxAgeSeconds`. The count and
   * byte caps still apply. Optional: spools without an age cap need not implement it.
   */
  exemptFromAgeExpiry?(firstExemptSeq: () => number | null): void;
  stats(): SpoolStats;
  close(): void;
}
