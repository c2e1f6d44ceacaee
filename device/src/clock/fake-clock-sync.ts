import type { ClockSyncPort, ClockSyncState } from './clock-sync-port.js';

/** Scriptable ClockSyncPort for tests and mock mode: the test flips `state` when "NTP" syncs. */
export class FakeClockSync implements ClockSyncPort {
  readonly name = 'fake';
  checks = 0;

  constructor(public state: ClockSyncState = 'synchronized') {}

  async check(): Promise<ClockSyncState> {
    this.checks += 1;
    return this.state;
  }
}
