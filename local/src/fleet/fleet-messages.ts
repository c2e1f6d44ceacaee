// The IPC messages between the stack and its fleet process.

export type ToFleet = { type: 'press'; id: number; deviceId: string } | { type: 'stop' };

export type FromFleet =
  /** `status` is the device's answer (202 only for a press on disk); `error` its reason otherwise. */
  | { type: 'press-result'; id: number; status: number; error: string | null }
  | { type: 'started'; devices: number }
  | { type: 'failed'; error: string }
  | { type: 'stopped'; exitCodes: number[] };

export interface FleetSpec {
  /** One agent.json per simulated device, as on a Pi. */
  configPaths: string[];
  logLevel: string;
}
