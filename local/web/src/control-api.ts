// The shapes of the local stack's device-control API (local/src/dashboard/device-control.ts):
// the config shadow of one device and the jobs. Times are epoch seconds, as AWS's jobs API has them.

export interface DeviceConfig {
  thingName: string;
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
  delta: Record<string, unknown>;
  version: number;
  timestamp: number | null;
}

export type JobExecutionStatus =
  | 'QUEUED'
  | 'IN_PROGRESS'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'REJECTED'
  | 'REMOVED'
  | 'CANCELED';

export interface JobSummary {
  jobId: string;
  operation: string | null;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'CANCELED';
  createdAt: number;
  targets: string[];
  executionCounts: Partial<Record<JobExecutionStatus, number>>;
}
