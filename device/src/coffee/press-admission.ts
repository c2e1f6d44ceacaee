import type { StorageCause } from '../spool/storage-cause.js';

/** Whether a press was durably recorded when it was answered, and the capture it started. */
export type PressAdmission =
  | { accepted: true; eventId: string; done: Promise<void> }
  | {
      accepted: false;
      eventId: string;
      /** Why its event could not be stored. */
      cause: StorageCause;
      reason: string;
      done: Promise<void>;
    };

/**
 * The reason of the fallback event a press leaves when its outcome never reaches the spool: the
 * agent stopped first, or the outcome's write failed (then the next start publishes this one).
 */
export const PRESS_NOT_FINISHED =
  'the outcome of this press was never recorded (the agent stopped or its storage failed)';

/** An answer for a caller that can hear one (the HTTP control port). */
export interface PressAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * 202 only for a press already on disk. A full disk is 507 Insufficient Storage (free space and
 * press again); any other storage failure is 503 (the device cannot take presses right now).
 */
export function answerFor(admission: PressAdmission): PressAnswer {
  if (admission.accepted) return { status: 202, body: { accepted: true, eventId: admission.eventId } };
  return {
    status: admission.cause === 'ENOSPC' ? 507 : 503,
    body: {
      accepted: false,
      error: `the press could not be recorded (${admission.cause}): ${admission.reason}`,
      cause: admission.cause,
    },
  };
}
