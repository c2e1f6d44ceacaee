import { ExponentialBackoff } from '../connection/backoff.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import {
  errorMessageOf,
  parseCredentialsResponse,
  type TemporaryAwsCredentials,
} from './credential-response.js';
import { IotCredentialsError } from './credentials-errors.js';
import {
  type CredentialFetcher,
  type CredentialRequest,
  credentialsUrl,
  httpsCredentialFetcher,
} from './https-credential-fetcher.js';

export interface IotCredentialProviderOptions {
  /** Credential provider endpoint, `host[:port]` (`aws iot describe-endpoint --endpoint-type iot:CredentialProvider`). */
  endpoint: string;
  /** The role alias whose role the device assumes (`aws iot create-role-alias`). */
  roleAlias: string;
  /** Sent as `x-amzn-iot-thingname`; the thing must be attached to the certificate. */
  thingName: string;
  certPath: string;
  keyPath: string;
  caPath: string;
  /** Fetch new credentials this long before the cached ones expire. Default 5 min. */
  refreshBeforeExpiryMs?: number;
  /** One request's time limit. Default 10 s. */
  requestTimeoutMs?: number;
  /** Retry spacing after a failure; calls in between fail fast. Default 1 s doubling to 5 min. */
  backoff?: { minMs: number; maxMs: number };
  clock: Clock;
  logger: Logger;
  random?: () => number;
  /** The HTTPS transport; tests inject a fake. */
  fetcher?: CredentialFetcher;
}

export interface CredentialProviderStats {
  fetches: number;
  failures: number;
  /** Expiry of the cached credentials, null when none. */
  expiresAtMs: number | null;
}

interface Cached {
  credentials: TemporaryAwsCredentials;
  refreshAtMs: number;
}

const DEFAULTS = { refreshBeforeExpiryMs: 5 * 60_000, requestTimeoutMs: 10_000 };
const DEFAULT_BACKOFF = { minMs: 1000, maxMs: 5 * 60_000 };

/**
 * Temporary AWS credentials from the AWS IoT credential provider, so the device holds no static
 * AWS keys: the device certificate (mutual TLS) is exchanged for the role alias's role.
 * - cached until `refreshBeforeExpiryMs` before expiry (or half their lifetime, if shorter);
 * - concurrent callers share one request;
 * - after a failure, calls fail fast with the same error until the backoff delay has passed,
 *   so a bad policy or certificate never turns into a request loop; credentials that are still
 *   valid keep being served while a refresh fails.
 * `provide` is an AWS SDK v3 credential provider (`credentials: provider.provide`).
 */
export class IotCredentialProvider {
  readonly provide = (): Promise<TemporaryAwsCredentials> => this.getCredentials();
  private readonly backoff: ExponentialBackoff;
  private readonly refreshBeforeExpiryMs: number;
  private readonly request: CredentialRequest;
  private readonly fetcher: CredentialFetcher;
  private cached: Cached | null = null;
  private inFlight: Promise<TemporaryAwsCredentials> | null = null;
  private lastError: IotCredentialsError | null = null;
  private counters = { fetches: 0, failures: 0 };

  constructor(private readonly options: IotCredentialProviderOptions) {
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.backoff = new ExponentialBackoff({ ...backoff, stableAfterMs: 0 }, options.random);
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? DEFAULTS.refreshBeforeExpiryMs;
    this.fetcher = options.fetcher ?? httpsCredentialFetcher;
    this.request = {
      endpoint: options.endpoint,
      roleAlias: options.roleAlias,
      thingName: options.thingName,
      certPath: options.certPath,
      keyPath: options.keyPath,
      caPath: options.caPath,
      timeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    };
  }

  async getCredentials(): Promise<TemporaryAwsCredentials> {
    const now = this.options.clock.now();
    const cached = this.cached;
    if (cached && now < cached.refreshAtMs) return cached.credentials;
    if (this.inFlight) return this.inFlight;
    if (this.lastError && now < (this.lastError.retryAtMs ?? 0)) {
      if (cached && now < cached.credentials.expiration.getTime()) return cached.credentials;
      throw this.lastError;
    }
    const attempt = this.fetch().finally(() => {
      this.inFlight = null;
    });
    this.inFlight = attempt;
    return attempt;
  }

  /** Forgets the cached credentials (S3 said they expired): the next call fetches new ones. */
  invalidate(): void {
    this.cached = null;
  }

  stats(): CredentialProviderStats {
    return { ...this.counters, expiresAtMs: this.cached?.credentials.expiration.getTime() ?? null };
  }

  private async fetch(): Promise<TemporaryAwsCredentials> {
    const { logger, clock } = this.options;
    this.counters.fetches += 1;
    try {
      const response = await this.fetcher(this.request);
      if (response.status !== 200) throw this.httpError(response.status, response.body);
      const credentials = parseCredentialsResponse(response.body);
      const now = clock.now();
      const expiresAtMs = credentials.expiration.getTime();
      // Short-lived credentials (a role alias with a small credentialDurationSeconds) are
      // refreshed at half their life rather than on every call.
      const refreshAtMs = Math.max(expiresAtMs - this.refreshBeforeExpiryMs, now + (expiresAtMs - now) / 2);
      this.cached = { credentials, refreshAtMs };
      this.lastError = null;
      this.backoff.reset();
      logger.info(
        { roleAlias: this.request.roleAlias, expiration: credentials.expiration.toISOString() },
        'AWS credentials obtained from the IoT credential provider',
      );
      return credentials;
    } catch (cause) {
      const error =
        cause instanceof IotCredentialsError
          ? cause
          : new IotCredentialsError(
              `credential provider request failed: ${(cause as Error).message}`,
              {
                failure: 'network',
              },
              { cause },
            );
      this.counters.failures += 1;
      const retryInMs = this.backoff.nextDelayMs();
      error.retryAtMs = clock.now() + retryInMs;
      this.lastError = error;
      const fields = { err: error, status: error.status, failure: error.failure, retryInMs };
      if (error.permanent) logger.error(fields, 'cannot obtain AWS credentials; retrying after a delay');
      else logger.warn(fields, 'cannot obtain AWS credentials; retrying after a delay');
      const stale = this.cached;
      if (stale && clock.now() < stale.credentials.expiration.getTime()) return stale.credentials;
      throw error;
    }
  }

  private httpError(status: number, body: string): IotCredentialsError {
    const serverMessage = errorMessageOf(body);
    const { roleAlias, thingName } = this.request;
    const url = credentialsUrl(this.request.endpoint, roleAlias);
    const what = `credential provider ${url.host} answered ${status} "${serverMessage}"`;
    let hint: string;
    if (status === 403) {
      hint = `check that the certificate is active, that thing "${thingName}" is attached to it, and that its IoT policy allows iot:AssumeRoleWithCertificate on arn:aws:iot:<region>:<account>:rolealias/${roleAlias}`;
    } else if (status === 404) {
      hint = `check that role alias "${roleAlias}" exists in this account and region (and that the endpoint is this account's iot:CredentialProvider endpoint)`;
    } else if (status === 400) {
      hint = `check that role alias "${roleAlias}" points to an existing role that trusts credentials.iot.amazonaws.com, and that its credentialDurationSeconds ≤ the role's MaxSessionDuration`;
    } else if (status === 429 || status >= 500) {
      hint = 'the provider is throttling or failing; retrying with backoff';
    } else {
      hint = 'unexpected status';
    }
    return new IotCredentialsError(`${what}: ${hint}`, { failure: 'http', status, serverMessage });
  }
}
