import { TopicError } from '../errors.js';
import { THING_NAME_PATTERN } from '../topics.js';

/**
 * The IoT jobs device MQTT API (AWS IoT Developer Guide, "Jobs device MQTT API operations"), in
 * the shapes AWS documents. The local stack's jobs service answers the same topics.
 */
export const JOB_EXECUTION_STATUSES = [
  'QUEUED',
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'REJECTED',
  'REMOVED',
  'CANCELED',
] as const;
export type JobExecutionStatus = (typeof JOB_EXECUTION_STATUSES)[number];

/** Statuses after which an execution never changes again. */
export const TERMINAL_JOB_STATUSES: readonly JobExecutionStatus[] = [
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'REJECTED',
  'REMOVED',
  'CANCELED',
];

/** Job ids: 1–64 of letters, digits, underscore, hyphen. */
export const JOB_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export interface JobsTopics {
  /** The service publishes a NextJobExecutionChanged whenever the next pending execution changes. */
  readonly notifyNext: string;
  /** Publish a StartNextRequest; answered on startNextAccepted / startNextRejected. */
  readonly startNext: string;
  readonly startNextAccepted: string;
  readonly startNextRejected: string;
  /** Publish an empty request: the pending executions (GetPendingJobExecutions). */
  readonly getPending: string;
  readonly getPendingAccepted: string;
  readonly getPendingRejected: string;
  /** `$aws/things/{thing}/jobs/*`, for a policy. */
  readonly all: string;
  /** Publish an UpdateJobExecutionRequest for one job. */
  update(jobId: string): string;
  updateAccepted(jobId: string): string;
  updateRejected(jobId: string): string;
  /** Publish a DescribeJobExecutionRequest for one job (`$next` for the next pending one). */
  describe(jobId: string): string;
  describeAccepted(jobId: string): string;
  describeRejected(jobId: string): string;
}

export function jobsTopics(thingName: string): JobsTopics {
  if (!THING_NAME_PATTERN.test(thingName) && !thingName.startsWith('${')) {
    throw new TopicError(`thing name "${thingName}" must match ${THING_NAME_PATTERN}`);
  }
  const base = `$aws/things/${thingName}/jobs`;
  const job = (jobId: string): string => {
    if (jobId !== '$next' && !JOB_ID_PATTERN.test(jobId)) {
      throw new TopicError(`job id "${jobId}" must match ${JOB_ID_PATTERN}`);
    }
    return `${base}/${jobId}`;
  };
  return {
    notifyNext: `${base}/notify-next`,
    startNext: `${base}/start-next`,
    startNextAccepted: `${base}/start-next/accepted`,
    startNextRejected: `${base}/start-next/rejected`,
    getPending: `${base}/get`,
    getPendingAccepted: `${base}/get/accepted`,
    getPendingRejected: `${base}/get/rejected`,
    all: `${base}/*`,
    update: (jobId) => `${job(jobId)}/update`,
    updateAccepted: (jobId) => `${job(jobId)}/update/accepted`,
    updateRejected: (jobId) => `${job(jobId)}/update/rejected`,
    describe: (jobId) => `${job(jobId)}/get`,
    describeAccepted: (jobId) => `${job(jobId)}/get/accepted`,
    describeRejected: (jobId) => `${job(jobId)}/get/rejected`,
  };
}

/** Matches a jobs API topic; the local jobs service routes requests with it. */
export const JOBS_TOPIC_PATTERN =
  /^\$aws\/things\/([a-zA-Z0-9:_-]{1,128})\/jobs\/(notify-next|start-next|get|([a-zA-Z0-9_-]{1,64}|\$next)\/(update|get))(?:\/(accepted|rejected))?$/;

/** Free-form progress: string keys and string values (AWS: each value at most 1,024 characters). */
export type JobStatusDetails = Record<string, string>;

/** The job document: ours always names an allow-listed `operation`; AWS allows any JSON ≤ 32 KB. */
export type JobDocument = Record<string, unknown>;

/** JobExecution as the device API returns it (epoch seconds for the times). */
export interface JobExecution {
  jobId: string;
  thingName: string;
  jobDocument: JobDocument;
  status: JobExecutionStatus;
  statusDetails?: JobStatusDetails;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
  /**
   * Seconds left (a duration, not a time) before an IN_PROGRESS execution times out, as AWS
   * documents it; present only when a step timeout (stepTimeoutInMinutes) is set.
   */
  approximateSecondsBeforeTimedOut?: number;
}

export interface JobExecutionSummary {
  jobId: string;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
}

/** `notify-next`: `execution` is absent when nothing is pending any more. */
export interface NextJobExecutionChanged {
  execution?: JobExecution;
  timestamp: number;
}

export interface StartNextRequest {
  statusDetails?: JobStatusDetails;
  stepTimeoutInMinutes?: number;
  clientToken?: string;
}

/** `start-next/accepted`: `execution` is absent when nothing was pending. */
export interface StartNextAccepted {
  execution?: JobExecution;
  timestamp: number;
  clientToken?: string;
}

export interface UpdateJobExecutionRequest {
  status: JobExecutionStatus;
  statusDetails?: JobStatusDetails;
  /** Rejected with VersionMismatch unless it equals the execution's current versionNumber. */
  expectedVersion?: number;
  executionNumber?: number;
  includeJobExecutionState?: boolean;
  includeJobDocument?: boolean;
  stepTimeoutInMinutes?: number;
  clientToken?: string;
}

export interface UpdateJobExecutionAccepted {
  executionState?: { status: JobExecutionStatus; statusDetails?: JobStatusDetails; versionNumber: number };
  jobDocument?: JobDocument;
  timestamp: number;
  clientToken?: string;
}

export interface GetPendingJobExecutionsAccepted {
  inProgressJobs: JobExecutionSummary[];
  queuedJobs: JobExecutionSummary[];
  timestamp: number;
  clientToken?: string;
}

export type JobsErrorCode =
  | 'InvalidTopic'
  | 'InvalidJson'
  | 'InvalidRequest'
  | 'InvalidStateTransition'
  | 'ResourceNotFound'
  | 'VersionMismatch'
  | 'InternalError'
  | 'RequestThrottled'
  | 'TerminalStateReached';

/** The `rejected` answers of the jobs API. */
export interface JobsErrorResponse {
  code: JobsErrorCode;
  message: string;
  clientToken?: string;
  timestamp: number;
  executionState?: { status: JobExecutionStatus; statusDetails?: JobStatusDetails; versionNumber: number };
}
