import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type StartedDashboard, startDashboard } from './testing/dashboard-harness.js';

const INDEX_HTML = '<!doctype html><title>coffee</title>';
const APP_JS = 'console.log("coffee");';

// <tmp>/package.json sits two levels above the /js/ root, so a traversal that worked would find it.
let tmp: string;
let dashboard: StartedDashboard;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dashboard-static-'));
  await mkdir(join(tmp, 'site', 'web'), { recursive: true });
  await mkdir(join(tmp, 'site', 'dist-js'), { recursive: true });
  await writeFile(join(tmp, 'package.json'), '{"name":"secret"}');
  await writeFile(join(tmp, 'site', 'web', 'index.html'), INDEX_HTML);
  await writeFile(join(tmp, 'site', 'web', 'style.css'), 'body { margin: 0 }');
  await writeFile(join(tmp, 'site', 'web', 'notes.xyz'), 'opaque');
  await writeFile(join(tmp, 'site', 'dist-js', 'app.js'), APP_JS);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  dashboard = await startDashboard({
    staticRoots: [
      { urlPrefix: '/', directory: join(tmp, 'site', 'web') },
      { urlPrefix: '/js/', directory: join(tmp, 'site', 'dist-js') },
    ],
  });
});

afterEach(async () => {
  await dashboard.server.close();
});

/** Sends the path exactly as written; fetch would fold `..` segments before they reach the server. */
function rawGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: dashboard.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static files', () => {
  it('serves index.html at / as revalidated HTML with the security headers', async () => {
    const response = await fetch(`${dashboard.url}/`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(INDEX_HTML);
  });

  it('serves scripts under their own prefix as text/javascript', async () => {
    const response = await fetch(`${dashboard.url}/js/app.js`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await response.text()).toBe(APP_JS);
  });

  it('names CSS by type and unknown extensions as octet-stream', async () => {
    const css = await fetch(`${dashboard.url}/style.css`);
    const unknown = await fetch(`${dashboard.url}/notes.xyz`);

    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(unknown.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await fetch(`${dashboard.url}/js/app.js`, { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(APP_JS)));
    expect(await response.text()).toBe('');
  });

  it('refuses encoded traversal out of the root with 404', async () => {
    const slashes = await fetch(`${dashboard.url}/js/..%2f..%2fpackage.json`);
    const dots = await fetch(`${dashboard.url}/js/%2e%2e%2f%2e%2e%2fpackage.json`);

    expect(slashes.status).toBe(404);
    expect(await slashes.text()).not.toContain('secret');
    expect(dots.status).toBe(404);
  });

  it('refuses raw ".." traversal with 404', async () => {
    expect(await rawGet('/js/../../package.json')).toBe(404);
    expect(await rawGet('/../package.json')).toBe(404);
  });

  it('keeps each prefix inside its own directory', async () => {
    // index.html exists one level up, under the / root, but /js/ must not reach it.
    const response = await fetch(`${dashboard.url}/js/..%2fweb%2findex.html`);

    expect(response.status).toBe(404);
  });

  it('answers 404 for a missing file', async () => {
    const response = await fetch(`${dashboard.url}/js/missing.js`);

    expect(response.status).toBe(404);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses POST with 405 and Allow', async () => {
    const response = await fetch(`${dashboard.url}/index.html`, { method: 'POST' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
