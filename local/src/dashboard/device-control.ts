import type { JobDescription, JobSummary } from '../iot-core/jobs-views.js';

export type { ExecutionView, JobDescription, JobStatus, JobSummary } from '../iot-core/jobs-views.js';

/**
 * A device's `config` shadow as `GET /api/devices/{thing}/config` shows it: what the operator
 * wants, what the device says is in effect (with its `refused` and `pendingRestart` reports), and
 * the keys still apart. Empty objects and version 0 when the shadow does not exist yet.
 */
export interface DeviceConfigView {
  thingName: string;
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
  delta: Record<string, unknown>;
  /** Per-key `{ timestamp }` (epoch seconds) of desired and reported. */
  metadata: { desired?: Record<string, unknown>; reported?: Record<string, unknown> };
  version: number;
  /** Epoch seconds of the answer (AWS's document timestamp); null when there is no shadow. */
  timestamp: number | null;
}

export interface CreateJobRequest {
  jobId?: string;
  /** The job document: `{ operation, ...parameters }`. */
  document: Record<string, unknown>;
  targets: string[];
  stepTimeoutMinutes?: number;
}

/**
 * Remote operation of devices through the IoT Core stand-ins (local stack only): the dashboard's
 * config panel and job list, and the CLI, go through this.
 */
export interface DeviceControl {
  getConfig(thingName: string): Promise<DeviceConfigView>;
  /** Merges `values` into desired (null deletes a key); the device hears of it as a delta. */
  setDesiredConfig(thingName: string, values: Record<string, unknown>): Promise<DeviceConfigView>;
  listJobs(): Promise<JobSummary[]>;
  createJob(request: CreateJobRequest): Promise<JobDescription>;
  /** Rejects with UnknownJobError. */
  describeJob(jobId: string): Promise<JobDescription>;
}
