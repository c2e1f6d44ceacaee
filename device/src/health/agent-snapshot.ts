import type { ClockStats } from '../clock/clock-guard.js';
import type { ConnectionState } from '../connection/connection-supervisor.js';
import type { JobsStatus } from '../jobs/jobs-service.js';
import type { RemoteConfigSyncStatus } from '../remote-config/sync-status.js';
import type { CauseCounts } from '../spool/storage-cause.js';
import type { StorageFailure } from '../spool/write-failures.js';
import type { TransportName } from '../transport/transport-port.js';

/** Everything health messages and `coffee-iot-agent status` report, gathered in one place. */
export interface AgentSnapshot {
  deviceId: string;
  bootId: string;
  agentVersion: string;
  transport: TransportName;
  endpoint: string;
  connection: ConnectionState;
  startedAtMs: number;
  nowMs: number;
  spoolDepth: number;
  oldestUnsentAtMs: number | null;
  /** Spool cap drops (persisted) plus readings too large to ever publish. */
  droppedReadings: number;
  sensorErrors: number;
  /** Readings the storage refused, per cause, since the spool was created; their seqs are missing. */
  unstoredReadings: CauseCounts;
  /** The spool's write-failure episode in progress (readings are being lost now), else null. */
  storageFailure: StorageFailure | null;
  lastPubackAtMs: number | null;
  /** Present when the agent asks whether its clock is synchronised (device/src/clock/). */
  clock?: ClockStats;
  /** Present when the coffee button is enabled. */
  coffee?: CoffeeSnapshot;
  /** Present when the config shadow runs: what its last sync did (status file only, not health). */
  remoteConfig?: RemoteConfigSyncStatus;
  /** Present when the jobs service runs: the job in progress and the last outcome (status file only). */
  jobs?: JobsStatus;
}

export interface CoffeeSnapshot {
  outboxDepth: number;
  oldestPendingPhotoAtMs: number | null;
  outboxDropped: number;
  captureFailures: number;
  uploadFailures: number;
  skippedPresses: number;
  presses: number;
  uploaded: number;
  /** Coffee events waiting in the spool for their PUBACK. */
  pendingEvents: number;
  /** Presses refused or lost because their event could not be stored, per cause, since start. */
  unrecordedPresses: CauseCounts;
  /** Photo writes to the outbox the storage refused, per cause, since start. */
  outboxWriteFailures: CauseCounts;
}
