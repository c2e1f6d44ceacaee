import type { JobDocument } from '@coffee-iot/shared';
import type { JobHandler, JobOutcome, JobRun } from '../job-handler.js';

/**
 * `restart`: the agent exits with a code systemd restarts on, and the job succeeds once the agent
 * is back. The checkpoint holds this process's boot id: seeing a different one on the next run
 * proves the restart happened.
 */
export class RestartHandler implements JobHandler {
  readonly operation = 'restart';

  /** @param bootId this agent process's id (new on every start). */
  constructor(private readonly bootId: string) {}

  validate(document: JobDocument): string | null {
    const extra = Object.keys(document).filter(
      (key) => key !== 'operation' && key !== 'stepTimeoutInMinutes',
    );
    return extra.length === 0 ? null : `restart takes no parameters (got ${extra.join(', ')})`;
  }

  async run(job: JobRun): Promise<JobOutcome> {
    const { checkpoint } = job;
    if (checkpoint?.phase === 'restarting') {
      if (checkpoint.bootId !== this.bootId) {
        return {
          status: 'SUCCEEDED',
          details: { restartedFrom: checkpoint.bootId ?? 'unknown', bootId: this.bootId },
        };
      }
      // Same process: the exit never happened (it was refused or is still in progress).
      return { status: 'FAILED', details: { reason: 'the agent did not restart' } };
    }
    await job.saveCheckpoint({ phase: 'restarting', bootId: this.bootId });
    return { status: 'RESTARTING', details: { step: 'restarting', bootId: this.bootId } };
  }
}
