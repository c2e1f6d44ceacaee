import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { S3PhotoUploader } from './s3-photo-uploader.js';
import { parseS3Error } from './s3-put-object.js';
import { PhotoUploadError } from './uploader-port.js';

/** A real HTTP server on loopback that answers each PUT as the test says, and keeps what it saw. */
async function startServer(answer: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void) {
  const seen: { headers: IncomingMessage['headers']; body: Buffer; socket: Socket }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ headers: req.headers, body, socket: req.socket });
      answer(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const s3Error = (code: string, message: string, requestId = 'REQ123') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;

const PHOTO = {
  eventId: '0b6f2c1e-4d1a-4b7e-9a51-7c3f1b2e8d90',
  deviceId: 'coffee-pi-1',
  capturedAtMs: Date.parse('2026-11-26T10:00:00Z'),
};

describe('S3PhotoUploader over its own PutObject', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    answer: Parameters<typeof startServer>[0],
    options: { requestTimeoutMs?: number; withToken?: boolean } = {},
  ) {
    const server = await startServer(answer);
    cleanups.push(() => server.stop());
    const invalidate = vi.fn();
    const uploader = new S3PhotoUploader({
      bucket: 'coffee-photos',
      region: 'eu-west-1',
      endpoint: server.endpoint,
      ...(options.withToken
        ? {
            credentials: {
              provide: async () => ({
                accessKeyId: 'ASIAEXAMPLE',
                secretAccessKey: 'secret',
                sessionToken: 'the-session-token',
                expiration: new Date(Date.now() + 3_600_000),
              }),
              invalidate,
            },
          }
        : { devStaticCredentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } }),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      logger: silentLogger(),
    });
    cleanups.push(() => uploader.destroy());
    return { server, uploader, invalidate };
  }

  it('sends the session token, the body hash it signed and the ETag back', async () => {
    const { server, uploader } = await setup(
      (_req, res) => {
        res.writeHead(200, { etag: '"abc"' });
        res.end();
      },
      { withToken: true },
    );
    const body = Buffer.from('jpeg bytes');
    const result = await uploader.upload({ ...PHOTO, body });
    expect(result.etag).toBe('"abc"');
    const [put] = server.seen;
    expect(put?.headers['x-amz-security-token']).toBe('the-session-token');
    expect(put?.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(put?.headers.authorization).toMatch(/SignedHeaders=.*x-amz-security-token/);
    expect(put?.headers['x-amz-meta-device-id']).toBe('coffee-pi-1');
    expect(put?.body.equals(body)).toBe(true);
  });

  it('refused as expired: transient, and the credentials are invalidated before the retry', async () => {
    const { uploader, invalidate } = await setup(
      (_req, res) => {
        res.writeHead(400, { 'content-type': 'application/xml' });
        res.end(s3Error('ExpiredToken', 'The provided token has expired.'));
      },
      { withToken: true },
    );
    const error = await uploader.upload({ ...PHOTO, body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PhotoUploadError);
    expect(error).toMatchObject({ kind: 'transient', code: 'ExpiredToken', status: 400 });
    expect(invalidate).toHaveBeenCalledTimes(1);
  });

  it.each([
    [400, 'BadDigest', 'transient'],
    [403, 'AccessDenied', 'permanent'],
    [403, 'RequestTimeTooSkewed', 'permanent'],
    [503, 'SlowDown', 'transient'],
  ] as const)('HTTP %i %s is %s', async (status, code, kind) => {
    const { uploader } = await setup((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(s3Error(code, `${code} happened`));
    });
    const error = await uploader
      .putObject({ key: 'logs/x', body: Buffer.from('x'), contentType: 'text/plain' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind, code, status });
    expect((error as Error).message).toContain(`${code} happened`);
  });

  it('an error without a body is named after its status', async () => {
    const { uploader } = await setup((_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const error = await uploader.upload({ ...PHOTO, body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'transient', code: 'ServiceUnavailable', status: 503 });
  });

  it('a server that never answers times out as TimeoutError, transient', async () => {
    const { uploader } = await setup(() => undefined, { requestTimeoutMs: 150 });
    const error = await uploader.upload({ ...PHOTO, body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'transient', code: 'TimeoutError' });
  });

  it('a TLS handshake that never completes times out as a connect TimeoutError, before the request limit', async () => {
    // A TCP server that accepts and never speaks: the connection opens, the handshake hangs.
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await once(silent, 'close');
    });
    const uploader = new S3PhotoUploader({
      bucket: 'coffee-photos',
      region: 'eu-west-1',
      endpoint: `https://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      devStaticCredentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      connectTimeoutMs: 150,
      requestTimeoutMs: 20_000,
      logger: silentLogger(),
    });
    cleanups.push(() => uploader.destroy());
    const error = await uploader.upload({ ...PHOTO, body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'transient', code: 'TimeoutError' });
    expect((error as Error).message).toMatch(/connecting to 127\.0\.0\.1 took longer than 150 ms/);
  });

  it('an abort mid-flight and an abort before the start are AbortError', async () => {
    const { server, uploader } = await setup(() => undefined);
    const controller = new AbortController();
    const pending = uploader
      .upload({ ...PHOTO, body: Buffer.from('x') }, controller.signal)
      .catch((e: unknown) => e);
    await vi.waitFor(() => expect(server.seen).toHaveLength(1));
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'transient', code: 'AbortError' });
    const already = await uploader
      .upload({ ...PHOTO, body: Buffer.from('x') }, AbortSignal.abort())
      .catch((e: unknown) => e);
    expect(already).toMatchObject({ code: 'AbortError' });
  });

  it('keeps the connection for the next upload and closes it on destroy()', async () => {
    const { server, uploader } = await setup((_req, res) => {
      res.writeHead(200, { etag: '"e"' });
      res.end();
    });
    await uploader.upload({ ...PHOTO, body: Buffer.from('a') });
    await uploader.upload({ ...PHOTO, body: Buffer.from('b') });
    const [first, second] = server.seen;
    expect(second?.socket).toBe(first?.socket);
    const closed = once(first?.socket as Socket, 'close');
    uploader.destroy();
    await closed;
  });
});

describe('parseS3Error', () => {
  it('reads Code, Message and RequestId and unescapes XML', () => {
    const error = parseS3Error(403, s3Error('AccessDenied', 'a &amp; b &lt;c&gt;', 'R1'), {});
    expect(error).toMatchObject({
      name: 'AccessDenied',
      Code: 'AccessDenied',
      message: 'a & b <c>',
      RequestId: 'R1',
      $fault: 'client',
      $metadata: { httpStatusCode: 403, requestId: 'R1' },
    });
  });

  it('falls back to the status and the x-amz-request-id header', () => {
    expect(parseS3Error(502, '<html>bad gateway</html>', { 'x-amz-request-id': 'H1' })).toMatchObject({
      Code: 'Http502',
      RequestId: 'H1',
      $fault: 'server',
    });
  });
});
