import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IotCredentialsError } from '../../../device/src/credentials/credentials-errors.js';
import {
  IotCredentialProvider,
  type IotCredentialProviderOptions,
} from '../../../device/src/credentials/iot-credential-provider.js';
import type { Clock } from '../../../device/src/ports/clock.js';
import { silentLogger } from '../../../device/src/ports/logger.js';
import { S3PhotoUploader } from '../../../device/src/upload/s3-photo-uploader.js';
import { clientFiles, createTestPki, type TestPki } from '../harness/test-pki.js';
import { BUCKET, getPhoto, REGION, type RunningS3, startS3rver } from './s3-stack.js';

const THING = 'coffee-pi-1';
const ROLE_ALIAS = 'coffee-iot-photos';
const HOUR = 3600_000;
const MINUTE = 60_000;

/** A manual clock shared by the provider and the fake endpoint: expiry is tested without waiting. */
class ManualClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

interface SeenRequest {
  url: string;
  thingName: string | undefined;
  clientCn: string | undefined;
}

/**
 * The AWS IoT credential provider's stand-in: HTTPS that requires a client certificate signed
 * by the dev CA and answers in the documented shape, or with the scripted error.
 */
class FakeCredentialEndpoint {
  readonly seen: SeenRequest[] = [];
  answer: { status: number; body: string } | null = null;
  issued = 0;
  private readonly server: Server;

  constructor(
    pki: TestPki,
    private readonly clock: ManualClock,
    files: { key: Buffer; cert: Buffer; ca: Buffer },
  ) {
    this.server = createServer({ ...files, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      this.seen.push({
        url: req.url ?? '',
        thingName: req.headers['x-amzn-iot-thingname'] as string | undefined,
        clientCn: typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined,
      });
      const answer = this.answer ?? this.credentials();
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
    void pki;
  }

  private credentials(): { status: number; body: string } {
    this.issued += 1;
    return {
      status: 200,
      body: JSON.stringify({
        credentials: {
          // s3rver knows this access key, so the credentials also work for the S3 test below.
          accessKeyId: 'S3RVER',
          secretAccessKey: 'S3RVER',
          sessionToken: `session-${this.issued}`,
          expiration: new Date(this.clock.now() + HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      }),
    };
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}

describe('IotCredentialProvider against an mTLS endpoint', () => {
  let dir: string;
  let pki: TestPki;
  let clock: ManualClock;
  let endpoint: FakeCredentialEndpoint;
  let address: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iot-credentials-'));
    pki = await createTestPki(join(dir, 'pki'), [THING]);
    clock = new ManualClock(Date.now());
    endpoint = new FakeCredentialEndpoint(pki, clock, {
      key: await readFile(pki.trusted.server.keyPath),
      cert: await readFile(pki.trusted.server.certPath),
      ca: await readFile(pki.trusted.caPath),
    });
    address = await endpoint.listen();
  });
  beforeEach(() => {
    endpoint.answer = null;
    endpoint.seen.length = 0;
  });
  afterAll(async () => {
    await endpoint?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function provider(overrides: Partial<IotCredentialProviderOptions> = {}): IotCredentialProvider {
    const files = clientFiles(pki.trusted.clients, THING);
    return new IotCredentialProvider({
      endpoint: address,
      roleAlias: ROLE_ALIAS,
      thingName: THING,
      certPath: files.certPath,
      keyPath: files.keyPath,
      caPath: pki.trusted.caPath,
      backoff: { minMs: 1000, maxMs: 60_000 },
      random: () => 1,
      clock,
      logger: silentLogger(),
      ...overrides,
    });
  }

  it('gets credentials over mutual TLS with the thing name, and serves them from cache', async () => {
    const credentials = provider();
    const first = await credentials.provide();
    expect(first).toMatchObject({
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      sessionToken: expect.any(String),
    });
    expect(first.expiration).toBeInstanceOf(Date);
    expect(endpoint.seen).toEqual([
      { url: `/role-aliases/${ROLE_ALIAS}/credentials`, thingName: THING, clientCn: THING },
    ]);
    const [a, b] = await Promise.all([credentials.provide(), credentials.provide()]);
    expect(a).toBe(first);
    expect(b).toBe(first);
    expect(endpoint.seen).toHaveLength(1);
  });

  it('fetches new credentials shortly before the cached ones expire', async () => {
    const credentials = provider();
    const first = await credentials.provide();
    clock.ms = first.expiration.getTime() - 5 * MINUTE - 1;
    expect(await credentials.provide()).toBe(first);
    clock.ms += 1;
    const second = await credentials.provide();
    expect(second.sessionToken).not.toBe(first.sessionToken);
    expect(second.expiration.getTime()).toBeGreaterThan(first.expiration.getTime());
    expect(endpoint.seen).toHaveLength(2);
  });

  it('turns a 403 into a clear error and waits out the backoff before asking again', async () => {
    endpoint.answer = { status: 403, body: '{"message":"Access Denied"}' };
    const credentials = provider();
    const error = await credentials.provide().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IotCredentialsError);
    expect(error).toMatchObject({ failure: 'http', status: 403, serverMessage: 'Access Denied' });
    expect((error as Error).message).toMatch(/iot:AssumeRoleWithCertificate/);

    for (let i = 0; i < 20; i += 1) await expect(credentials.provide()).rejects.toBe(error);
    expect(endpoint.seen).toHaveLength(1);

    clock.ms += 1000;
    endpoint.answer = null;
    await expect(credentials.provide()).resolves.toMatchObject({ accessKeyId: 'S3RVER' });
    expect(endpoint.seen).toHaveLength(2);
  });

  it('reports a client certificate from another CA as a TLS failure naming the files, with backoff', async () => {
    const foreign = clientFiles(pki.foreign.clients, THING);
    const credentials = provider({ certPath: foreign.certPath, keyPath: foreign.keyPath });
    const error = await credentials.provide().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IotCredentialsError);
    expect(error).toMatchObject({ failure: 'tls', permanent: true });
    expect((error as Error).message).toContain(foreign.certPath);
    await expect(credentials.provide()).rejects.toBe(error);
    expect(endpoint.seen).toHaveLength(0);
  });

  it('reports an endpoint certificate it cannot verify as a TLS failure', async () => {
    const credentials = provider({ caPath: pki.foreign.caPath });
    const error = await credentials.provide().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'IotCredentialsError', failure: 'tls' });
    expect((error as Error).message).toContain(pki.foreign.caPath);
  });

  describe('as the S3 client credentials', () => {
    let s3: RunningS3;
    beforeAll(async () => {
      s3 = await startS3rver(join(dir, 's3'));
    });
    afterAll(async () => {
      await s3?.stop();
    });

    it('uploads a photo with credentials from the provider', async () => {
      const credentials = provider();
      const uploader = new S3PhotoUploader({
        bucket: BUCKET,
        region: REGION,
        endpoint: s3.endpoint,
        credentials,
        logger: silentLogger(),
      });
      try {
        const body = randomBytes(1000);
        const { key } = await uploader.upload({
          eventId: randomUUID(),
          deviceId: THING,
          capturedAtMs: Date.now(),
          body,
        });
        expect((await getPhoto(s3.endpoint, key)).body.equals(body)).toBe(true);
        expect(endpoint.seen).toHaveLength(1);
      } finally {
        uploader.destroy();
      }
    });
  });
});
