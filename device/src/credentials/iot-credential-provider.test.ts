import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../ports/clock.js';
import { silentLogger } from '../ports/logger.js';
import { IotCredentialsError, IotCredentialsResponseError } from './credentials-errors.js';
import type {
  CredentialFetcher,
  CredentialHttpResponse,
  CredentialRequest,
} from './https-credential-fetcher.js';
import { IotCredentialProvider } from './iot-credential-provider.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const HOUR = 3600_000;
const MINUTE = 60_000;

function credentialsBody(n: number, expiresAtMs: number): CredentialHttpResponse {
  return {
    status: 200,
    body: JSON.stringify({
      credentials: {
        accessKeyId: `ASIA${n}`,
        secretAccessKey: `secret-${n}`,
        sessionToken: `token-${n}`,
        // The provider's format: ISO-8601 UTC without milliseconds.
        expiration: new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    }),
  };
}

/** A scripted provider endpoint: answers are queued; each request waits until answered. */
class ScriptedFetcher {
  readonly requests: { request: CredentialRequest; atMs: number }[] = [];
  private readonly answers: (() => Promise<CredentialHttpResponse>)[] = [];
  private readonly waiting: ((response: CredentialHttpResponse) => void)[] = [];

  readonly fetch: CredentialFetcher = (request) => {
    this.requests.push({ request, atMs: Date.now() });
    const next = this.answers.shift();
    if (next) return next();
    return new Promise((resolve) => this.waiting.push(resolve));
  };

  answer(response: CredentialHttpResponse): void {
    const resolve = this.waiting.shift();
    if (resolve) resolve(response);
    else this.answers.push(async () => response);
  }

  fail(error: Error): void {
    this.answers.push(async () => {
      throw error;
    });
  }
}

describe('IotCredentialProvider', () => {
  let fetcher: ScriptedFetcher;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    fetcher = new ScriptedFetcher();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function createProvider(overrides: { refreshBeforeExpiryMs?: number } = {}) {
    return new IotCredentialProvider({
      endpoint: 'abc123.credentials.iot.eu-west-1.amazonaws.com',
      roleAlias: 'coffee-iot-photos',
      thingName: 'pi-1',
      certPath: '/etc/coffee-iot/device.pem.crt',
      keyPath: '/etc/coffee-iot/private.pem.key',
      caPath: '/etc/coffee-iot/AmazonRootCA1.pem',
      backoff: { minMs: 1000, maxMs: 60_000 },
      random: () => 1,
      clock: systemClock,
      logger: silentLogger(),
      fetcher: fetcher.fetch,
      ...overrides,
    });
  }

  it('asks for the role alias with the thing name and returns SDK-shaped credentials', async () => {
    fetcher.answer(credentialsBody(1, T0 + HOUR));
    const credentials = await createProvider().provide();
    expect(credentials).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret-1',
      sessionToken: 'token-1',
      expiration: new Date(T0 + HOUR),
    });
    expect(fetcher.requests[0]?.request).toMatchObject({ roleAlias: 'coffee-iot-photos', thingName: 'pi-1' });
  });

  it('serves cached credentials until 5 minutes before expiry, then fetches new ones', async () => {
    const provider = createProvider();
    fetcher.answer(credentialsBody(1, T0 + HOUR));
    await provider.provide();
    await vi.advanceTimersByTimeAsync(HOUR - 5 * MINUTE - 1);
    expect((await provider.provide()).accessKeyId).toBe('ASIA1');
    expect(fetcher.requests).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1);
    fetcher.answer(credentialsBody(2, Date.now() + HOUR));
    expect((await provider.provide()).accessKeyId).toBe('ASIA2');
    expect(fetcher.requests).toHaveLength(2);
    expect(provider.stats()).toMatchObject({
      fetches: 2,
      failures: 0,
      expiresAtMs: T0 + 2 * HOUR - 5 * MINUTE,
    });
  });

  it('refreshes short-lived credentials at half their life instead of on every call', async () => {
    const provider = createProvider({ refreshBeforeExpiryMs: 10 * MINUTE });
    fetcher.answer(credentialsBody(1, T0 + 4 * MINUTE));
    await provider.provide();
    await vi.advanceTimersByTimeAsync(2 * MINUTE - 1);
    await provider.provide();
    expect(fetcher.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    fetcher.answer(credentialsBody(2, Date.now() + 4 * MINUTE));
    await provider.provide();
    expect(fetcher.requests).toHaveLength(2);
  });

  it('lets concurrent callers share one request', async () => {
    const provider = createProvider();
    const calls = Promise.all([provider.provide(), provider.provide(), provider.provide()]);
    await vi.advanceTimersByTimeAsync(0);
    expect(fetcher.requests).toHaveLength(1);
    fetcher.answer(credentialsBody(1, T0 + HOUR));
    const results = await calls;
    expect(new Set(results.map((c) => c.accessKeyId))).toEqual(new Set(['ASIA1']));
  });

  it('on 403 fails with the status, the server message and what to check, then fails fast until the backoff passed', async () => {
    const provider = createProvider();
    fetcher.answer({ status: 403, body: '{"message":"Access Denied"}' });
    const error = await provider.provide().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IotCredentialsError);
    expect(error).toMatchObject({
      status: 403,
      serverMessage: 'Access Denied',
      failure: 'http',
      permanent: true,
    });
    expect((error as Error).message).toMatch(/iot:AssumeRoleWithCertificate/);
    expect((error as Error).message).toMatch(/thing "pi-1" is attached/);

    // Hammering the provider is not possible: calls within the backoff get the same error.
    for (let i = 0; i < 50; i += 1) await expect(provider.provide()).rejects.toBe(error);
    expect(fetcher.requests).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(1000);
    fetcher.answer({ status: 403, body: '{"message":"Access Denied"}' });
    await expect(provider.provide()).rejects.toMatchObject({ status: 403 });
    expect(fetcher.requests).toHaveLength(2);
    // The second failure doubles the delay.
    await vi.advanceTimersByTimeAsync(1999);
    await expect(provider.provide()).rejects.toMatchObject({ status: 403 });
    expect(fetcher.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    fetcher.answer(credentialsBody(1, Date.now() + HOUR));
    await expect(provider.provide()).resolves.toMatchObject({ accessKeyId: 'ASIA1' });
    expect(provider.stats()).toMatchObject({ fetches: 3, failures: 2 });
  });

  it('names the role alias on 404 and the role on 400', async () => {
    const provider = createProvider();
    fetcher.answer({ status: 404, body: '{"message":"Role alias does not exist"}' });
    await expect(provider.provide()).rejects.toThrow(/role alias "coffee-iot-photos" exists/);
    await vi.advanceTimersByTimeAsync(1000);
    fetcher.answer({
      status: 400,
      body: '{"message":"Unable to assume the role, or the role to assume does not exist"}',
    });
    await expect(provider.provide()).rejects.toThrow(/trusts credentials\.iot\.amazonaws\.com/);
  });

  it('rejects a 200 without the documented fields, listing every missing one', async () => {
    const provider = createProvider();
    fetcher.answer({
      status: 200,
      body: JSON.stringify({ credentials: { accessKeyId: 'A', expiration: 'soon' } }),
    });
    const error = await provider.provide().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IotCredentialsResponseError);
    expect((error as IotCredentialsResponseError).missingFields).toEqual([
      'secretAccessKey',
      'sessionToken',
      'expiration (not a date)',
    ]);
    expect((error as Error).message).not.toContain('"A"');
  });

  it('keeps serving still-valid credentials while a refresh fails', async () => {
    const provider = createProvider();
    fetcher.answer(credentialsBody(1, T0 + HOUR));
    await provider.provide();
    await vi.advanceTimersByTimeAsync(HOUR - 4 * MINUTE);
    fetcher.fail(new IotCredentialsError('unreachable', { failure: 'network' }));
    expect((await provider.provide()).accessKeyId).toBe('ASIA1');
    expect(provider.stats().failures).toBe(1);
    await vi.advanceTimersByTimeAsync(4 * MINUTE);
    fetcher.fail(new IotCredentialsError('unreachable', { failure: 'network' }));
    await expect(provider.provide()).rejects.toMatchObject({ failure: 'network', permanent: false });
  });

  it('invalidate() forces a new request', async () => {
    const provider = createProvider();
    fetcher.answer(credentialsBody(1, T0 + HOUR));
    await provider.provide();
    provider.invalidate();
    fetcher.answer(credentialsBody(2, T0 + HOUR));
    expect((await provider.provide()).accessKeyId).toBe('ASIA2');
  });
});
