import { createLogger } from '@coffee-iot/device';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardServer, type DashboardServer } from '../dashboard/dashboard-server.js';
import { snapshotFixture } from '../dashboard/testing/dashboard-fixtures.js';
import { FleetUnavailableError, PressNotRecordedError } from './fleet-errors.js';

// The press route answers for the fleet: a fleet that is down is the server's 503, not a 500.
describe('a press while the simulated devices are down, over HTTP', () => {
  let server: DashboardServer | undefined;
  afterEach(() => server?.close());

  async function dashboardPressing(error: Error): Promise<string> {
    server = createDashboardServer({
      source: {
        snapshot: async () => snapshotFixture(),
        subscribe: () => () => undefined,
        readPhoto: async () => null,
        press: () => Promise.reject(error),
      },
      staticRoots: [],
      logger: createLogger('silent'),
    });
    return (await server.listen(0)).url;
  }

  async function press(url: string): Promise<Response> {
    return fetch(`${url}/api/devices/coffee-pi-1/press`, { method: 'POST', headers: { Origin: url } });
  }

  it('answers 503 with the reason and Retry-After while a restart is coming', async () => {
    const url = await dashboardPressing(
      new FleetUnavailableError(
        'restarting',
        4,
        'the simulated devices are restarting after a crash; try again in 4 s',
      ),
    );
    const response = await press(url);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('4');
    expect(await response.json()).toEqual({
      error: 'the simulated devices are restarting after a crash; try again in 4 s',
    });
  });

  it('answers 503 without Retry-After once the fleet was given up on', async () => {
    const url = await dashboardPressing(
      new FleetUnavailableError('gave-up', null, 'the simulated devices crashed 5 times; restart the stack'),
    );
    const response = await press(url);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.json()).toEqual({
      error: 'the simulated devices crashed 5 times; restart the stack',
    });
  });

  it("answers a press the device could not record with the device's status (507: disk full)", async () => {
    const url = await dashboardPressing(
      new PressNotRecordedError('coffee-pi-1', 507, 'the press could not be recorded (ENOSPC): disk full'),
    );
    const response = await press(url);
    expect(response.status).toBe(507);
    expect(await response.json()).toEqual({ error: 'the press could not be recorded (ENOSPC): disk full' });
  });
});
