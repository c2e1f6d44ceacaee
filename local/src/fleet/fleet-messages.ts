// The IPC messages between the stack and its fleet process.

export type ToFleet = { type: 'press'; id: number; deviceId: string } | { type: 'stop' };

export type FromFleet =
  | { type: 'press-result'; id: number; error: string | null }
  | { type: 'started'; devices: number }
  | { type: 'failed'; error: string }
  | { type: 'stopped'; exitCodes: number[] };

export interface FleetSpec {
  /** One agent.json per simulated device, as on a Pi. */
  configPaths: string[];
  logLevel: string;
}
