export { ClockGuard, type ClockGuardOptions, type ClockStats, PLAUSIBLE_FLOOR_MS } from './clock-guard.js';
export { type ClockSyncSetup, systemClockSync } from './clock-setup.js';
export type { ClockSyncPort, ClockSyncState } from './clock-sync-port.js';
export { FakeClockSync } from './fake-clock-sync.js';
export { type ClockHoldStore, FileClockHoldStore, MemoryClockHoldStore } from './hold-store.js';
export { type MonotonicClock, systemMonotonic } from './monotonic.js';
export { SystemdClockSync, TIMESYNC_SYNCHRONIZED_FILE } from './systemd-clock-sync.js';
