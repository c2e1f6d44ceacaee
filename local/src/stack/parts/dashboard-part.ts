import type { Logger } from '@coffee-iot/device';
import { createDashboardServer, type DashboardServer } from '../../dashboard/dashboard-server.js';
import type { DeviceControl } from '../../dashboard/device-control.js';
import type { LiveDashboardSource } from '../../live/live-dashboard-source.js';
import { listenOrExplain } from '../stack-errors.js';
import type { RunningPart } from '../stack-parts.js';
import { webRoots } from '../web-roots.js';

export interface DashboardPart extends RunningPart {
  url: string;
  server: DashboardServer;
}

/** The dashboard page and its API over the live source; presses go to the simulated fleet. */
export async function startDashboardPart(options: {
  live: LiveDashboardSource;
  press: (deviceId: string) => Promise<void>;
  control: DeviceControl;
  port: number;
  logger: Logger;
}): Promise<DashboardPart> {
  const { live } = options;
  const server = createDashboardServer({
    source: {
      snapshot: () => live.snapshot(),
      subscribe: (listener) => live.subscribe(listener),
      readPhoto: (key) => live.readPhoto(key),
      press: options.press,
    },
    control: options.control,
    staticRoots: webRoots(),
    logger: options.logger.child({ part: 'dashboard' }),
  });
  const address = await listenOrExplain('dashboard', options.port, '--dashboard-port', () =>
    server.listen(options.port),
  );
  return { ready: address.url, stop: () => server.close(), url: address.url, server };
}
