import type { ConnectionState } from '../connection/connection-supervisor.js';
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
  lastPubackAtMs: number | null;
  /** Present when the coffee button is enabled. */
  coffee?: CoffeeSnapshot;
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
}
