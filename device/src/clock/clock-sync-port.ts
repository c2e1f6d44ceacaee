/**
 * Whether the system clock has been set by NTP since boot. A Raspberry Pi has no real-time clock
 * (the Pi 5 aside): it boots with the last saved time, or 1970, and jumps when NTP syncs.
 *
 * - `synchronized`: the kernel says the clock is disciplined (timedatectl NTPSynchronized=yes).
 * - `unsynchronized`: it is not yet, so a wall-clock time stamped now may be hours or years off.
 * - `unknown`: this system cannot tell us (no systemd: a laptop, a container). The agent then
 *   trusts the clock, as it did before it could ask, instead of holding readings forever.
 */
export type ClockSyncState = 'synchronized' | 'unsynchronized' | 'unknown';

export interface ClockSyncPort {
  readonly name: string;
  /** Never rejects: a failure to ask is `unknown`. */
  check(): Promise<ClockSyncState>;
}
