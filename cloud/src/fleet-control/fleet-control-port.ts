import type { JobExecutionStatus, JobStatusDetails } from '@coffee-iot/shared';

/**
 * What an operator does to a fleet without touching a Pi: read and change a device's live
 * configuration (its `config` named shadow) and run allow-listed jobs. Two adapters: AWS (IoT Core's
 * shadow and jobs APIs) and the local stack (its HTTP API over the same services).
 */
export interface FleetControl {
  /** Where the commands go, for the CLI's first line ("AWS IoT in eu-west-1", "local stack at …"). */
  readonly description: string;
  getConfig(thing: string): Promise<DeviceConfigView>;
  /** Sets `desired` keys (null deletes one); the device applies what it can and reports. */
  setDesiredConfig(thing: string, values: Readonly<Record<string, unknown>>): Promise<DeviceConfigView>;
  createJob(request: JobRequest): Promise<{ jobId: string }>;
  describeJob(jobId: string): Promise<JobView>;
}

export interface DeviceConfigView {
  readonly thing: string;
  readonly desired: Readonly<Record<string, unknown>>;
  readonly reported: Readonly<Record<string, unknown>>;
  /** Desired keys the device has not (yet) reported as in effect. */
  readonly delta: Readonly<Record<string, unknown>>;
  /** The shadow's version; null when the thing has no config shadow yet. */
  readonly version: number | null;
}

export interface JobRequest {
  readonly jobId: string;
  /** The job document: always `{ operation, ...parameters }` (see job-documents.ts). */
  readonly document: Readonly<Record<string, unknown>>;
  readonly targets: readonly string[];
  /** An IN_PROGRESS execution not finished within this many minutes becomes TIMED_OUT. */
  readonly inProgressTimeoutMinutes?: number;
}

export interface JobExecutionView {
  readonly thing: string;
  readonly status: JobExecutionStatus;
  readonly statusDetails: JobStatusDetails;
  readonly lastUpdatedAt: Date | null;
}

export interface JobView {
  readonly jobId: string;
  /** The job as a whole: IN_PROGRESS until every execution is terminal, then COMPLETED (or CANCELED…). */
  readonly status: string;
  readonly document: Readonly<Record<string, unknown>>;
  readonly executions: readonly JobExecutionView[];
}

/** The target answered with an error a user can act on (unknown thing or job, no permission…). */
export class FleetControlError extends Error {
  override readonly name = 'FleetControlError';
}
