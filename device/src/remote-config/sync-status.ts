/** What the last config shadow sync did, for the status file (`coffee-iot-agent status`). */
export interface RemoteConfigSyncStatus {
  /** Shadow version of the last desired state handled; null before the first sync. */
  shadowVersion: number | null;
  /** When that sync finished (epoch ms). */
  syncedAtMs: number | null;
  /** Keys the last sync applied (live, or saved for the next start). */
  applied: string[];
  /** Every refusal currently reported in the shadow, key → reason. */
  refused: Record<string, string>;
  /** Keys saved and waiting for a restart. */
  pendingRestart: string[];
  /** Deltas older than the last one handled, ignored (QoS 1 redeliveries, reordering). */
  ignoredStaleDeltas: number;
  /** Why the shadow is not in sync (subscription refused, update rejected…); null when it is. */
  lastError: string | null;
}

export function initialSyncStatus(): RemoteConfigSyncStatus {
  return {
    shadowVersion: null,
    syncedAtMs: null,
    applied: [],
    refused: {},
    pendingRestart: [],
    ignoredStaleDeltas: 0,
    lastError: null,
  };
}
