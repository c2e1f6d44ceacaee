import type { JobDocument, JobStatusDetails } from '@coffee-iot/shared';

/**
 * One allow-listed job operation (`capture-photo`, `upload-logs`, `set-config`, `restart`,
 * `update-agent`, `rotate-cert`). The jobs service runs only operations it has a handler for;
 * any other is REJECTED without running anything.
 *
 * A job may be interrupted by a crash or a power cut. The service then calls `run` again after the
 * restart with the last `checkpoint` the handler recorded, and the handler either finishes what was
 * left or fails cleanly: a step recorded as done is never done a second time.
 */
export interface JobHandler {
  /** The job document's `operation`. */
  readonly operation: string;
  /** Checks the document before anything runs: a problem (in plain words) makes the job REJECTED. */
  validate(document: JobDocument): string | null;
  run(job: JobRun): Promise<JobOutcome>;
}

export interface JobRun {
  readonly jobId: string;
  readonly document: JobDocument;
  /** Aborted on agent shutdown and when the step timeout passes: stop and return. */
  readonly signal: AbortSignal;
  /** What this handler last recorded for this job, from before a restart; undefined on a first run. */
  readonly checkpoint: Readonly<Record<string, string>> | undefined;
  /** Durably records progress (fsync'd) before returning: call it before a step that must not repeat. */
  saveCheckpoint(state: Readonly<Record<string, string>>): Promise<void>;
  /** Reports IN_PROGRESS with these status details to the jobs service (best effort, logged on failure). */
  progress(details: JobStatusDetails): Promise<void>;
}

export type JobOutcome =
  | { readonly status: 'SUCCEEDED' | 'FAILED' | 'REJECTED'; readonly details: JobStatusDetails }
  /**
   * The handler arranged a restart of the agent (`restart`, `update-agent`): the execution stays
   * IN_PROGRESS and the handler runs again, with its checkpoint, after the agent comes back.
   */
  | { readonly status: 'RESTARTING'; readonly details: JobStatusDetails };
