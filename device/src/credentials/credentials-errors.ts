/**
 * What went wrong fetching credentials from the AWS IoT credential provider:
 * - `http`: the provider answered with an error status (see `status` and `serverMessage`);
 * - `tls`: the mutual-TLS handshake failed (certificate, key or CA);
 * - `network`: no answer (DNS, refused, reset, timeout);
 * - `response`: a 200 whose body is not the documented credentials JSON;
 * - `files`: the certificate, key or CA file could not be read.
 */
export type IotCredentialsFailure = 'http' | 'tls' | 'network' | 'response' | 'files';

/** Temporary AWS credentials could not be obtained from the AWS IoT credential provider. */
export class IotCredentialsError extends Error {
  override readonly name: string = 'IotCredentialsError';
  readonly failure: IotCredentialsFailure;
  /** HTTP status, when the provider answered. */
  readonly status: number | undefined;
  /** The provider's `message`, when it sent one (e.g. "Access Denied", "Role alias does not exist"). */
  readonly serverMessage: string | undefined;
  /** Until when (epoch ms) calls fail fast with this error instead of asking the provider again. */
  retryAtMs: number | undefined;

  constructor(
    message: string,
    details: { failure: IotCredentialsFailure; status?: number; serverMessage?: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.failure = details.failure;
    this.status = details.status;
    this.serverMessage = details.serverMessage;
  }

  /** Failures that only a change of configuration fixes (as opposed to waiting for the network). */
  get permanent(): boolean {
    if (this.failure === 'network') return false;
    const status = this.status ?? 0;
    return !(this.failure === 'http' && (status === 429 || status >= 500));
  }
}

/** The provider answered 200, but the body lacks fields of the documented JSON. */
export class IotCredentialsResponseError extends IotCredentialsError {
  override readonly name = 'IotCredentialsResponseError';
  constructor(
    message: string,
    readonly missingFields: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, { failure: 'response' }, options);
  }
}
