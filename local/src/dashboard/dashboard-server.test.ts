import { describe, expect, it } from 'vitest';
import { createDashboardServer } from './dashboard-server.js';
import { capturingLogger } from './testing/capturing-logger.js';
import { startDashboard } from './testing/dashboard-harness.js';
import { openEventStream } from './testing/event-stream-client.js';
import { FakeDashboardSource } from './testing/fake-dashboard-source.js';

describe('DashboardServer', () => {
  it('listens on 127.0.0.1 and reports the port it got', async () => {
    const { server, url, port } = await startDashboard();

    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(port).toBeGreaterThan(0);
    await server.close();
  });

  it('closes while an event-stream client is still connected, ending its stream', async () => {
    const { server, source, url } = await startDashboard();
    const client = await openEventStream(url);
    await client.nextFrame();
    expect(server.clients()).toBe(1);

    await server.close();

    expect(server.clients()).toBe(0);
    expect(source.listenerCount()).toBe(0);
    await expect(client.nextFrame()).rejects.toThrow('event stream ended');
  });

  it('closes while a request is still waiting on the source', async () => {
    const { server, source, url } = await startDashboard();
    let asked!: () => void;
    const photoRequested = new Promise<void>((resolve) => {
      asked = resolve;
    });
    source.readPhoto = () => {
      asked();
      return new Promise(() => {});
    };
    const pending = fetch(`${url}/api/photos/photos/stuck.jpg`);
    await photoRequested;

    await server.close();

    await expect(pending).rejects.toThrow();
  });

  it('closes while a keep-alive connection is idle', async () => {
    const { server, url } = await startDashboard();
    // fetch keeps the connection open for reuse after this response.
    await (await fetch(`${url}/api/snapshot`)).text();

    await expect(server.close()).resolves.toBeUndefined();
  });

  it('refuses static roots it could never serve, naming every problem', () => {
    const { logger } = capturingLogger();

    expect(() =>
      createDashboardServer({
        source: new FakeDashboardSource(),
        logger,
        staticRoots: [
          { urlPrefix: 'js/', directory: '/srv/js' },
          { urlPrefix: '/', directory: '/srv/web' },
          { urlPrefix: '/', directory: '/srv/other' },
        ],
      }),
    ).toThrow(
      'invalid static roots: staticRoots[0].urlPrefix must start with "/", got "js/"; staticRoots[2].urlPrefix "/" is a duplicate',
    );
  });
});
