import { type IncomingMessage, request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestGuard } from './request-guard.js';
import { LOG_LEVEL } from './testing/capturing-logger.js';
import { type StartedDashboard, startDashboard } from './testing/dashboard-harness.js';

interface Answer {
  status: number;
  body: string;
  contentType: string | undefined;
}

/**
 * A raw HTTP request with exactly the headers given (fetch would add or refuse some), to
 * 127.0.0.1 whatever the Host header claims, as a DNS-rebound browser would.
 */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | undefined>,
): Promise<Answer> {
  const defined = Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined));
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: defined, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, contentType: res.headers['content-type'] }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let dashboard: StartedDashboard;
const PRESS = '/api/devices/coffee-pi-1/press';

beforeEach(async () => {
  dashboard = await startDashboard();
});

afterEach(async () => {
  await dashboard.server.close();
});

const own = () => `127.0.0.1:${dashboard.port}`;
const press = (headers: Record<string, string | undefined>) => send(dashboard.port, 'POST', PRESS, headers);

describe('dashboard request guard: cross-site presses (CSRF)', () => {
  it('refuses a press with a foreign Origin with 403 naming Origin, and presses nothing', async () => {
    const answer = await press({ Host: own(), Origin: 'http://evil.example' });

    expect(answer.status).toBe(403);
    expect(answer.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toEqual({
      error: expect.stringContaining('Origin "http://evil.example" is not this dashboard\'s origin'),
      header: 'Origin',
    });
    expect(dashboard.source.presses).toEqual([]);
    expect(dashboard.server.refusedRequests()).toEqual({ Host: 0, Origin: 1, 'Sec-Fetch-Site': 0 });
    expect(dashboard.logs).toContainEqual(
      expect.objectContaining({
        level: LOG_LEVEL.warn,
        header: 'Origin',
        method: 'POST',
        url: PRESS,
        msg: expect.stringContaining('refused'),
      }),
    );
  });

  it.each([
    'null',
    'https://127.0.0.1:PORT', // another scheme is another origin
    'http://localhost:PORT', // another host name than the one the request was sent to
    'http://127.0.0.1:1', // another port
    'http://127.0.0.1:PORT.evil.example',
  ])('refuses Origin %j with 403', async (origin) => {
    const answer = await press({ Host: own(), Origin: origin.replace('PORT', String(dashboard.port)) });

    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ header: 'Origin' });
    expect(dashboard.source.presses).toEqual([]);
  });

  it('refuses a press from a cross-site page that sent no Origin but Sec-Fetch-Site', async () => {
    const answer = await press({ Host: own(), 'Sec-Fetch-Site': 'cross-site' });

    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ header: 'Sec-Fetch-Site' });
    expect(dashboard.source.presses).toEqual([]);
    expect(dashboard.server.refusedRequests()['Sec-Fetch-Site']).toBe(1);
  });

  it.each([
    ['the page itself (same Origin)', () => ({ Host: own(), Origin: `http://${own()}` })],
    [
      'the page on localhost',
      () => ({ Host: `localhost:${dashboard.port}`, Origin: `http://localhost:${dashboard.port}` }),
    ],
    ['a same-origin request without Origin', () => ({ Host: own(), 'Sec-Fetch-Site': 'same-origin' })],
    ['curl (neither Origin nor Sec-Fetch-Site)', () => ({ Host: own() })],
  ])('accepts a press from %s with 202', async (_who, headers) => {
    const answer = await press(headers());

    expect(answer.status).toBe(202);
    expect(dashboard.source.presses).toEqual(['coffee-pi-1']);
    expect(dashboard.server.refusedRequests()).toEqual({ Host: 0, Origin: 0, 'Sec-Fetch-Site': 0 });
  });

  it('lets a page of another site read (GET) as the same-origin policy already keeps its answer from it', async () => {
    const answer = await send(dashboard.port, 'GET', '/api/snapshot', {
      Host: own(),
      Origin: 'http://evil.example',
    });

    expect(answer.status).toBe(200);
  });
});

describe('dashboard request guard: Host (DNS rebinding)', () => {
  it.each([
    ['POST', PRESS],
    ['GET', '/api/snapshot'],
    ['GET', '/api/photos/photos/coffee-pi-1/2025/06/01/0b7e2c1a.jpg'],
    ['GET', '/api/events'],
    ['GET', '/'],
  ])('refuses %s %s with Host evil.example:8080 with 403 naming Host', async (method, path) => {
    const answer = await send(dashboard.port, method, path, { Host: 'evil.example:8080' });

    expect(answer.status).toBe(403);
    expect(answer.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toEqual({
      error: `Host header "evil.example:8080" is not this dashboard's (expected one of 127.0.0.1:${dashboard.port}, localhost:${dashboard.port}, [::1]:${dashboard.port})`,
      header: 'Host',
    });
    expect(dashboard.source.presses).toEqual([]);
    expect(dashboard.server.refusedRequests().Host).toBe(1);
    expect(dashboard.server.clients()).toBe(0);
  });

  it.each([
    'evil.example',
    `127.0.0.1`, // no port: not where the dashboard listens
    '127.0.0.1:1',
    'localhost.evil.example:PORT',
  ])('refuses Host %j even with a same-origin-looking Origin', async (host) => {
    const spoofed = host.replace('PORT', String(dashboard.port));
    const answer = await press({ Host: spoofed, Origin: `http://${spoofed}` });

    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ header: 'Host' });
    expect(dashboard.source.presses).toEqual([]);
  });

  it.each(['127.0.0.1', 'localhost', 'LOCALHOST', '[::1]'])('serves GET with Host %s:PORT', async (name) => {
    const answer = await send(dashboard.port, 'GET', '/api/snapshot', { Host: `${name}:${dashboard.port}` });

    expect(answer.status).toBe(200);
  });
});

describe('RequestGuard hosts', () => {
  const fakeRequest = (host: string, method = 'GET', origin?: string) =>
    ({ method, headers: { host, origin } }) as unknown as IncomingMessage;

  it('accepts the host it was bound to besides the loopback names', () => {
    const guard = new RequestGuard('192.0.2.7', 8080);

    expect(guard.acceptedHosts).toEqual(['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', '192.0.2.7:8080']);
    expect(guard.check(fakeRequest('192.0.2.7:8080', 'POST', 'http://192.0.2.7:8080'))).toBeUndefined();
  });

  it('brackets an IPv6 bind address as browsers write it in Host', () => {
    expect(new RequestGuard('fd00::1', 8080).acceptedHosts).toContain('[fd00::1]:8080');
  });

  it('adds no name for a bind to every interface, which no client dials', () => {
    expect(new RequestGuard('0.0.0.0', 8080).acceptedHosts).toHaveLength(3);
    expect(new RequestGuard('::', 8080).acceptedHosts).toHaveLength(3);
  });

  it('accepts Host and Origin without the port on port 80, as browsers send them', () => {
    const guard = new RequestGuard('127.0.0.1', 80);

    expect(guard.check(fakeRequest('localhost', 'POST', 'http://localhost'))).toBeUndefined();
    expect(guard.check(fakeRequest('localhost:80', 'POST', 'http://localhost:80'))).toBeUndefined();
  });

  it('refuses a request without Host (HTTP/1.0)', () => {
    const request = { method: 'GET', headers: {} } as unknown as IncomingMessage;

    expect(new RequestGuard('127.0.0.1', 8080).check(request)).toMatchObject({
      header: 'Host',
      message: expect.stringContaining('missing'),
    });
  });
});
