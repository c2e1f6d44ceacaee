import type { JobDocument } from '@coffee-iot/shared';
import type { JobHandler, JobOutcome, JobRun } from '../job-handler.js';

/** What taking a photo answered: the photo is in the outbox under `photoKey`, or why not. */
export type PhotoResult =
  | { readonly outcome: 'captured'; readonly eventId: string; readonly photoKey: string }
  | { readonly outcome: 'failed'; readonly eventId: string | null; readonly reason: string };

/**
 * The coffee station's press path as a job sees it: countdown, capture, outbox, upload, and the
 * coffee event, exactly as a button press. `started` is called once the press is recorded, before
 * the capture, with the press's event id.
 */
export interface PhotoTaker {
  takePhoto(started: (eventId: string) => Promise<void>): Promise<PhotoResult>;
}

/**
 * `capture-photo`: a photo now. Checkpoints make a restart never take a second photo: `pressing`
 * before the press, `captured` (with the key) after it. Resumed from `captured`, the job succeeds
 * with that key; resumed from `pressing`, it fails cleanly (the interrupted press is recorded
 * as camera_failed by the station, or its photo is already queued), since pressing again would
 * take a second photo.
 */
export class CapturePhotoHandler implements JobHandler {
  readonly operation = 'capture-photo';

  constructor(private readonly camera: PhotoTaker) {}

  validate(document: JobDocument): string | null {
    const extra = Object.keys(document).filter(
      (key) => key !== 'operation' && key !== 'stepTimeoutInMinutes',
    );
    return extra.length === 0 ? null : `capture-photo takes no parameters (got ${extra.join(', ')})`;
  }

  async run(job: JobRun): Promise<JobOutcome> {
    const { checkpoint } = job;
    if (checkpoint?.phase === 'captured' && checkpoint.photoKey) {
      return { status: 'SUCCEEDED', details: { photoKey: checkpoint.photoKey } };
    }
    if (checkpoint?.phase === 'pressing') {
      return {
        status: 'FAILED',
        details: {
          reason: 'the agent stopped during the capture; not pressed again, so no second photo is taken',
          ...(checkpoint.eventId ? { eventId: checkpoint.eventId } : {}),
        },
      };
    }
    job.signal.throwIfAborted();
    await job.saveCheckpoint({ phase: 'pressing' });
    const result = await this.camera.takePhoto(async (eventId) => {
      await job.saveCheckpoint({ phase: 'pressing', eventId });
      // Not awaited: a slow jobs service must not delay recording the photo once it is taken.
      void job.progress({ step: 'capturing', eventId });
    });
    if (result.outcome === 'failed') {
      return {
        status: 'FAILED',
        details: { reason: result.reason, ...(result.eventId ? { eventId: result.eventId } : {}) },
      };
    }
    await job.saveCheckpoint({ phase: 'captured', eventId: result.eventId, photoKey: result.photoKey });
    return { status: 'SUCCEEDED', details: { photoKey: result.photoKey, eventId: result.eventId } };
  }
}
