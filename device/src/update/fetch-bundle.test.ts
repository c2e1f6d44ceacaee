import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleDownloadError, fetchBundle } from './fetch-bundle.js';

describe('fetchBundle', () => {
  let server: Server;
  let base: string;
  let dir: string;
  const bytes = Buffer.from('release tarball bytes');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-fetch-'));
    await writeFile(join(dir, 'bundle.tar.gz'), bytes);
    server = createServer((request, response) => {
      if (request.url === '/bundle.tar.gz') response.end(bytes);
      else response.writeHead(404, 'Not Found').end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const signal = new AbortController().signal;

  it('downloads over HTTP (an S3 presigned URL is HTTPS, the same path)', async () => {
    expect(Buffer.from(await fetchBundle(`${base}/bundle.tar.gz`, signal))).toEqual(bytes);
  });

  it('reads an absolute path and a file:// URL (local stack, tests)', async () => {
    const path = join(dir, 'bundle.tar.gz');
    expect(Buffer.from(await fetchBundle(path, signal))).toEqual(bytes);
    expect(Buffer.from(await fetchBundle(pathToFileURL(path).href, signal))).toEqual(bytes);
  });

  it('names an HTTP error and a missing file', async () => {
    await expect(fetchBundle(`${base}/gone.tar.gz`, signal)).rejects.toThrow(
      new BundleDownloadError('bundle download failed: HTTP 404 Not Found'),
    );
    await expect(fetchBundle(join(dir, 'missing.tar.gz'), signal)).rejects.toThrow(
      /missing\.tar\.gz cannot be read/,
    );
  });
});
