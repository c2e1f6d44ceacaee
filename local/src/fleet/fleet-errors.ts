/**
 * A press that the simulated devices cannot take because their process is down: restarting
 * after a crash, given up on after too many, stopping, or dead while the press was in flight.
 * The dashboard answers it with 503 and, when a restart is coming, Retry-After.
 */
export class FleetUnavailableError extends Error {
  override readonly name = 'FleetUnavailableError';
  constructor(
    readonly reason: 'restarting' | 'gave-up' | 'lost' | 'stopped',
    /** Whole seconds until the devices should be back; null when they will not come back. */
    readonly retryAfterSeconds: number | null,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The device took the press but could not record it (507: its disk is full; 503: another
 * storage failure), or is not ready for presses yet (503). `status` is the device's own answer.
 */
export class PressNotRecordedError extends Error {
  override readonly name = 'PressNotRecordedError';
  constructor(
    readonly deviceId: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
