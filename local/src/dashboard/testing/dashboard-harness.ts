import { createDashboardServer, type DashboardServer } from '../dashboard-server.js';
import type { DeviceControl } from '../device-control.js';
import type { StaticRoot } from '../static-files.js';
import { capturingLogger, type LogLine } from './capturing-logger.js';
import { FakeDashboardSource } from './fake-dashboard-source.js';

export interface StartedDashboard {
  server: DashboardServer;
  source: FakeDashboardSource;
  /** Base URL, e.g. http://127.0.0.1:54321 */
  url: string;
  port: number;
  logs: LogLine[];
}

export interface StartDashboardOptions {
  source?: FakeDashboardSource;
  staticRoots?: StaticRoot[];
  heartbeatMs?: number;
  maxClientBufferBytes?: number;
  control?: DeviceControl;
}

/** A real server on a free port of 127.0.0.1, over a fake source, with its logs captured. */
export async function startDashboard(options: StartDashboardOptions = {}): Promise<StartedDashboard> {
  const source = options.source ?? new FakeDashboardSource({ simulatedDevices: ['coffee-pi-1'] });
  const { logger, lines } = capturingLogger();
  const server = createDashboardServer({
    source,
    staticRoots: options.staticRoots ?? [],
    logger,
    // Long by default so heartbeats do not interleave with the frames a test waits for.
    heartbeatMs: options.heartbeatMs ?? 60_000,
    maxClientBufferBytes: options.maxClientBufferBytes,
    ...(options.control === undefined ? {} : { control: options.control }),
  });
  const { url, port } = await server.listen(0);
  return { server, source, url, port, logs: lines };
}
