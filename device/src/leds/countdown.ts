import { delay, type TimerHandle, type Timers } from '../ports/clock.js';
import type { Digit, LedMatrix } from './led-port.js';

/** The digits are single glyphs, so the countdown is at most 9 s. */
export const MAX_COUNTDOWN_SECONDS = 9;
const STEP_MS = 1000;
/** The longest the countdown waits for the flash frame before handing over to the camera. */
export const FLASH_WAIT_MS = 250;

export class CountdownConfigError extends Error {
  override readonly name = 'CountdownConfigError';
}

/**
 * Shows N, N−1 … 1, one per second, then flashes at N seconds and resolves: the caller takes the
 * photo right away. With N = 3 the matrix shows 3, 2, 1 and the flash at t = 0, 1000, 2000,
 * 3000 ms.
 *
 * `seconds = 0` disables the countdown: no digits and no flash, the promise resolves at once and
 * the capture happens immediately (the latency benchmark's mode, and the choice for people who
 * do not want the matrix lit at all).
 *
 * The timing depends on the timers alone, never on the matrix: a digit is drawn while its second
 * runs, and the flash is waited for at most FLASH_WAIT_MS, so a slow or hung matrix cannot
 * stretch or stall the capture. An LED call that fails is ignored here (pass a SafeLedMatrix to
 * have failures logged and counted). Aborting `signal` clears the matrix and rejects with the
 * signal's reason; nothing is shown after that.
 */
export async function runCountdown(
  leds: LedMatrix,
  seconds: number,
  timers: Timers,
  signal?: AbortSignal,
): Promise<void> {
  if (!(Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_COUNTDOWN_SECONDS)) {
    throw new CountdownConfigError(
      `countdown must be a whole number of seconds from 0 to ${MAX_COUNTDOWN_SECONDS} (got ${seconds})`,
    );
  }
  signal?.throwIfAborted();
  if (seconds === 0) return;
  try {
    for (let remaining = seconds; remaining >= 1; remaining -= 1) {
      void attempt(() => leds.showDigit(remaining as Digit));
      await delay(timers, STEP_MS, signal);
    }
    signal?.throwIfAborted();
    await within(
      attempt(() => leds.flash()),
      FLASH_WAIT_MS,
      timers,
    );
  } catch (error) {
    if (signal?.aborted)
      await within(
        attempt(() => leds.clear()),
        FLASH_WAIT_MS,
        timers,
      );
    throw error;
  }
}

/** Runs one LED call; its failure (rejection or synchronous throw) never reaches the countdown. */
async function attempt(call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch {
    // See runCountdown: the LEDs never decide the flow.
  }
}

/** Waits for `work`, but no longer than `ms`; the timer is cleared either way. */
function within(work: Promise<void>, ms: number, timers: Timers): Promise<void> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = timers.setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => {
    if (timer !== undefined) timers.clearTimeout(timer);
  });
}
