import { request } from 'node:http';
import { createServer } from 'node:net';
import { HttpControl, HttpControlError, type Press, silentLogger } from '@coffee-iot/device';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** The mock mode's control port, driven over real loopback HTTP. */
describe('HttpControl', () => {
  let control: HttpControl;
  let presses: Press[];

  beforeEach(async () => {
    control = new HttpControl({ logger: silentLogger(), port: 0 });
    presses = [];
    control.onPress((press) => presses.push(press));
    await control.start();
  });
  afterEach(async () => {
    await control.stop();
  });

  it('binds an ephemeral port on 127.0.0.1 and exposes it', () => {
    expect(control.port).toBeGreaterThan(0);
    expect(control.url).toBe(`http://127.0.0.1:${control.port}`);
  });

  it('takes POST /press as a press and answers 202 {accepted:true}', async () => {
    const before = Date.now();
    const response = await fetch(`${control.url}/press`, { method: 'POST' });
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ accepted: true });
    expect(presses).toHaveLength(1);
    expect(presses[0]?.source).toBe('http');
    expect(presses[0]?.atMs).toBeGreaterThanOrEqual(before);
    expect(presses[0]?.atMs).toBeLessThanOrEqual(Date.now());
  });

  it('accepts localhost as the Host', async () => {
    expect(await rawStatus(control.port, 'POST', '/press', { Host: `localhost:${control.port}` })).toBe(202);
    expect(presses).toHaveLength(1);
  });

  it('answers GET /health with 200', async () => {
    const response = await fetch(`${control.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(presses).toEqual([]);
  });

  it('answers a wrong method with 405, an Allow header and a JSON error', async () => {
    const press = await fetch(`${control.url}/press`);
    expect(press.status).toBe(405);
    expect(press.headers.get('allow')).toBe('POST');
    expect(await press.json()).toMatchObject({ error: expect.stringContaining('POST') });
    const health = await fetch(`${control.url}/health`, { method: 'DELETE' });
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD');
    expect(presses).toEqual([]);
  });

  it('answers an unknown path with 404 and a JSON error', async () => {
    const response = await fetch(`${control.url}/photos`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no such endpoint: /photos' });
  });

  it('refuses browser cross-origin requests and foreign Host names', async () => {
    const crossSite = await fetch(`${control.url}/press`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const rebound = await rawStatus(control.port, 'POST', '/press', {
      Host: `attacker.example:${control.port}`,
    });
    expect(rebound).toBe(403);
    expect(presses).toEqual([]);
  });

  it('ignores a request body and keeps serving on the same connection', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`${control.url}/press`, { method: 'POST', body: 'x'.repeat(10_000) });
      expect(response.status).toBe(202);
      await response.arrayBuffer();
    }
    expect(presses).toHaveLength(3);
  });

  it('closes the port and its keep-alive connections on stop, and stops idempotently', async () => {
    const port = control.port;
    const response = await fetch(`${control.url}/health`, { headers: { Connection: 'keep-alive' } });
    await response.arrayBuffer();
    await control.stop();
    await control.stop();
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    expect(() => control.port).toThrow(HttpControlError);
  });

  it('restarts after stop', async () => {
    await control.stop();
    await control.start();
    const response = await fetch(`${control.url}/press`, { method: 'POST' });
    expect(response.status).toBe(202);
    expect(presses).toHaveLength(1);
  });

  it('names the port when it is taken', async () => {
    const taken = new HttpControl({ logger: silentLogger(), port: control.port });
    await expect(taken.start()).rejects.toThrow(/127\.0\.0\.1:\d+.*port in use/);
  });

  it('is not reachable on other interfaces', async () => {
    const otherAddress = await externalAddress();
    if (!otherAddress) return; // loopback-only machine
    await expect(fetch(`http://${otherAddress}:${control.port}/health`)).rejects.toThrow();
  });

  it('refuses an invalid port at construction', () => {
    expect(() => new HttpControl({ logger: silentLogger(), port: 70_000 })).toThrow(HttpControlError);
  });
});

/** A request with a hand-set Host header (fetch does not let one forge it). */
function rawStatus(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A non-loopback IPv4 address of this machine, if it has one that can be bound. */
async function externalAddress(): Promise<string | undefined> {
  const { networkInterfaces } = await import('node:os');
  const address = Object.values(networkInterfaces())
    .flat()
    .find((info) => info && info.family === 'IPv4' && !info.internal)?.address;
  if (!address) return undefined;
  // Make sure the address is usable at all, so a refusal means "not listening there".
  const usable = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, address, () => probe.close(() => resolve(true)));
  });
  return usable ? address : undefined;
}
