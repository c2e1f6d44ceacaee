import { get, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DashboardEvents } from './api-types.js';
import { LOG_LEVEL } from './testing/capturing-logger.js';
import { coffeeView, statsFixture } from './testing/dashboard-fixtures.js';
import { type StartedDashboard, startDashboard } from './testing/dashboard-harness.js';
import { type EventStreamClient, openEventStream } from './testing/event-stream-client.js';

const coffeeEvent: DashboardEvents['coffee'] = { coffee: coffeeView(), stats: statsFixture() };

let dashboard: StartedDashboard;
const clients: EventStreamClient[] = [];

async function connect(): Promise<EventStreamClient> {
  const client = await openEventStream(dashboard.url);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await dashboard.server.close();
});

describe('GET /api/events', () => {
  it('opens an uncached, unbuffered event stream that starts with the retry delay', async () => {
    dashboard = await startDashboard();

    const client = await connect();

    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(client.response.headers.get('cache-control')).toBe('no-store');
    expect(client.response.headers.get('x-accel-buffering')).toBe('no');
    expect(client.response.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await client.nextFrame()).raw).toBe('retry: 2000');
  });

  it('sends each source event framed as event: NAME and one data: JSON line', async () => {
    dashboard = await startDashboard();
    const client = await connect();
    await client.nextFrame();

    dashboard.source.emit('coffee', coffeeEvent);

    const frame = await client.nextFrame();
    expect(frame.raw).toBe(`event: coffee\ndata: ${JSON.stringify(coffeeEvent)}`);
    expect(JSON.parse(frame.data ?? '')).toEqual(coffeeEvent);
  });

  it('fans one source subscription out to every client', async () => {
    dashboard = await startDashboard();
    const first = await connect();
    const second = await connect();
    await Promise.all([first.nextFrame(), second.nextFrame()]);
    expect(dashboard.server.clients()).toBe(2);
    expect(dashboard.source.listenerCount()).toBe(1);

    dashboard.source.emit('device', snapshotDevice());

    const [a, b] = await Promise.all([first.nextFrame(), second.nextFrame()]);
    expect(a.event).toBe('device');
    expect(b.raw).toBe(a.raw);
  });

  it('lets go of the client and the source subscription when the client disconnects', async () => {
    dashboard = await startDashboard();
    const client = await connect();
    await client.nextFrame();
    expect(dashboard.server.clients()).toBe(1);
    expect(dashboard.source.listenerCount()).toBe(1);

    client.close();

    await vi.waitFor(() => expect(dashboard.server.clients()).toBe(0));
    expect(dashboard.source.listenerCount()).toBe(0);
  });

  it('subscribes to the source only while someone watches', async () => {
    dashboard = await startDashboard();
    expect(dashboard.source.listenerCount()).toBe(0);

    const client = await connect();
    await client.nextFrame();

    expect(dashboard.source.listenerCount()).toBe(1);
  });

  it('sends a heartbeat comment on an idle stream', async () => {
    dashboard = await startDashboard({ heartbeatMs: 20 });
    const client = await connect();
    await client.nextFrame();

    const frame = await client.nextFrame();

    expect(frame.raw).toBe(': heartbeat');
  });

  it('disconnects a client that does not read instead of buffering without bound', async () => {
    dashboard = await startDashboard({ maxClientBufferBytes: 64 * 1024 });
    const stalled = await openStalledClient(dashboard.url);
    await vi.waitFor(() => expect(dashboard.server.clients()).toBe(1));
    const bulky: DashboardEvents['coffee'] = {
      coffee: coffeeView({ reason: 'x'.repeat(256 * 1024) }),
      stats: statsFixture(),
    };

    // The client never reads, so the socket buffers fill and the server must give up on it.
    for (let sent = 0; sent < 400 && dashboard.server.clients() > 0; sent += 1) {
      dashboard.source.emit('coffee', bulky);
    }

    expect(dashboard.server.clients()).toBe(0);
    expect(dashboard.source.listenerCount()).toBe(0);
    const warning = dashboard.logs.find((line) => line.msg === 'dashboard client too slow, disconnected');
    expect(warning?.level).toBe(LOG_LEVEL.warn);
    expect(warning?.slowClientsDropped).toBe(1);
    stalled.destroy();
  });
});

function snapshotDevice(): DashboardEvents['device'] {
  return {
    deviceId: 'coffee-pi-1',
    online: false,
    lastSeenAt: '2025-06-01T09:00:00.000Z',
    spoolDepth: 3,
    droppedReadings: 0,
    outboxDepth: 0,
    outboxDropped: 0,
    owner: null,
    location: null,
  };
}

/** An event-stream client that stops reading once the headers arrive, like a frozen browser tab. */
function openStalledClient(baseUrl: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get(`${baseUrl}/api/events`, (response) => {
      response.pause();
      // The server cuts this connection on purpose; the reset is expected, not a test failure.
      response.on('error', () => {});
      resolve(response);
    });
    request.on('error', reject);
  });
}
