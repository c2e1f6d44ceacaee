import type { JobDocument, JobStatusDetails } from '@coffee-iot/shared';
import type { JobRun } from '../../jobs/job-handler.js';

/** A JobRun for handler unit tests: checkpoints and progress are recorded, nothing is sent. */
export function fakeJobRun(
  document: JobDocument,
  options: { jobId?: string; checkpoint?: Record<string, string>; signal?: AbortSignal } = {},
): JobRun & { checkpoints: Record<string, string>[]; progressed: JobStatusDetails[] } {
  const checkpoints: Record<string, string>[] = [];
  const progressed: JobStatusDetails[] = [];
  return {
    jobId: options.jobId ?? 'job-1',
    document,
    signal: options.signal ?? new AbortController().signal,
    checkpoint: options.checkpoint,
    checkpoints,
    progressed,
    saveCheckpoint: async (state) => {
      checkpoints.push({ ...state });
    },
    progress: async (details) => {
      progressed.push({ ...details });
    },
  };
}
