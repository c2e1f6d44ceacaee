import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from './responses.js';
import { LOG_LEVEL } from './testing/capturing-logger.js';
import { snapshotFixture } from './testing/dashboard-fixtures.js';
import { type StartedDashboard, startDashboard } from './testing/dashboard-harness.js';
import { FakeDashboardSource } from './testing/fake-dashboard-source.js';

const PHOTO_KEY = 'photos/coffee-pi-1/2025/06/01/0b7e2c1a.jpg';
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

let dashboard: StartedDashboard;

beforeEach(async () => {
  dashboard = await startDashboard();
});

afterEach(async () => {
  await dashboard.server.close();
});

function api(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`${dashboard.url}${path}`, init);
}

describe('GET /api/snapshot', () => {
  it('returns the source snapshot as JSON, never cached, with the security headers', async () => {
    const response = await api('/api/snapshot');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toBe(CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.json()).toEqual(snapshotFixture());
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await api('/api/snapshot', { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await response.text()).toBe('');
  });

  it('answers 500 with the error message and logs the error when the source fails', async () => {
    dashboard.source.failSnapshot(new Error('lake is unreadable'));

    const response = await api('/api/snapshot');

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'lake is unreadable' });
    const logged = dashboard.logs.find((line) => line.level === LOG_LEVEL.error);
    expect(logged?.msg).toBe('dashboard request failed');
    expect(logged?.err?.message).toBe('lake is unreadable');
    expect(logged?.url).toBe('/api/snapshot');
  });

  it('refuses POST with 405 and names the allowed methods', async () => {
    const response = await api('/api/snapshot', { method: 'POST' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(await response.json()).toEqual({ error: expect.stringContaining('POST') });
  });
});

describe('GET /api/photos/{photoKey}', () => {
  beforeEach(() => {
    dashboard.source.photos.set(PHOTO_KEY, { body: JPEG, contentType: 'image/jpeg' });
  });

  it('serves the bytes with the source content type, cached privately', async () => {
    const response = await api(`/api/photos/${PHOTO_KEY}`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(JPEG);
  });

  it('decodes the key before asking the source', async () => {
    const key = 'photos/coffee-pi-1/with space.jpg';
    dashboard.source.photos.set(key, { body: JPEG, contentType: 'image/jpeg' });

    const response = await api('/api/photos/photos/coffee-pi-1/with%20space.jpg');

    expect(response.status).toBe(200);
    expect(dashboard.source.photoReads).toEqual([key]);
  });

  it('answers 404 JSON when the photo is gone', async () => {
    const response = await api('/api/photos/photos/coffee-pi-1/missing.jpg');

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no photo "photos/coffee-pi-1/missing.jpg"' });
  });

  it('refuses a key with ".." segments without asking the source', async () => {
    const response = await api('/api/photos/photos/..%2F..%2Fsecrets/key.pem');

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: expect.stringContaining('must not contain ".." segments'),
    });
    expect(dashboard.source.photoReads).toEqual([]);
  });

  it('refuses a key outside photos/', async () => {
    const response = await api('/api/photos/certs/device.key');

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid photo key: must start with "photos/"' });
    expect(dashboard.source.photoReads).toEqual([]);
  });

  it('refuses a key with NUL or over 1024 bytes', async () => {
    const withNul = await api('/api/photos/photos/a%00.jpg');
    const tooLong = await api(`/api/photos/photos/${'a'.repeat(1020)}.jpg`);

    expect(withNul.status).toBe(400);
    expect(await withNul.json()).toEqual({ error: 'invalid photo key: must not contain NUL' });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({
      error: 'invalid photo key: is 1031 bytes, at most 1024 allowed',
    });
  });

  it('refuses malformed percent-encoding with 400', async () => {
    const response = await api('/api/photos/photos/%E0%A4%A.jpg');

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining('malformed percent-encoding') });
  });
});

describe('POST /api/devices/{deviceId}/press', () => {
  it('presses the button on a simulated device and answers 202', async () => {
    const response = await api('/api/devices/coffee-pi-1/press', { method: 'POST' });

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ pressed: 'coffee-pi-1' });
    expect(dashboard.source.presses).toEqual(['coffee-pi-1']);
  });

  it('answers 404 with the source message for a device that is not simulated', async () => {
    const response = await api('/api/devices/coffee-pi-9/press', { method: 'POST' });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no simulated device "coffee-pi-9" in this stack' });
    expect(dashboard.source.presses).toEqual([]);
  });

  it('refuses an id that is not an AWS thing name with 400', async () => {
    const response = await api('/api/devices/coffee.pi/press', { method: 'POST' });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: expect.stringContaining('invalid device id "coffee.pi"'),
    });
    expect(dashboard.source.presses).toEqual([]);
  });

  it('refuses an id longer than 128 characters with 400', async () => {
    const response = await api(`/api/devices/${'a'.repeat(129)}/press`, { method: 'POST' });

    expect(response.status).toBe(400);
  });

  it('answers 404 when the source cannot press (the AWS stack)', async () => {
    await dashboard.server.close();
    dashboard = await startDashboard({ source: new FakeDashboardSource() });

    const response = await api('/api/devices/coffee-pi-1/press', { method: 'POST' });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'pressing is only available in the local stack' });
  });

  it('refuses GET with 405 and Allow: POST', async () => {
    const response = await api('/api/devices/coffee-pi-1/press');

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('unknown API paths', () => {
  it('answer 404 JSON with the security headers', async () => {
    const response = await api('/api/nothing-here');

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(SECURITY_HEADERS['Content-Security-Policy']);
    expect(await response.json()).toEqual({ error: 'no API endpoint at /api/nothing-here' });
  });
});
