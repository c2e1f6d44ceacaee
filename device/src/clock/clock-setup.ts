import { join } from 'node:path';
import type { ClockSyncPort } from './clock-sync-port.js';
import { type ClockHoldStore, FileClockHoldStore, readKernelBootId } from './hold-store.js';
import { type MonotonicClock, systemMonotonic } from './monotonic.js';
import { SystemdClockSync } from './systemd-clock-sync.js';

/** What the agent needs to tell whether its clock can be trusted (AgentDependencies.clockSync). */
export interface ClockSyncSetup {
  port: ClockSyncPort;
  monotonic: MonotonicClock;
  /** How long readings wait for a sync that does not come before they go out as stamped. */
  waitSeconds: number;
  store?: ClockHoldStore;
  kernelBootId?: string | null;
}

/** The real parts: systemd's answer, CLOCK_MONOTONIC, and the hold record next to the spool. */
export function systemClockSync(stateDir: string, waitSeconds: number): ClockSyncSetup {
  return {
    port: new SystemdClockSync(),
    monotonic: systemMonotonic,
    waitSeconds,
    store: new FileClockHoldStore(join(stateDir, 'clock-hold.json')),
    kernelBootId: readKernelBootId(),
  };
}
