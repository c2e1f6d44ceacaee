/**
 * Whole-call PutRecords failures worth another attempt: throttling, service-side failures,
 * network errors and timeouts. Everything else (ResourceNotFoundException, AccessDeniedException,
 * ValidationException, InvalidArgumentException, the KMS access and key-state errors, bad
 * credentials) will fail the same way however often it is tried, so it is reported at once.
 */
const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  // @smithy/node-http-handler's connection and request timeouts.
  'TimeoutError',
]);

/** Node socket errors of a connection that broke or could not be made for now. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function isRetryableCallError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, $metadata } = error as ErrorShape;
  if (typeof name === 'string' && RETRYABLE_NAMES.has(name)) return true;
  if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return true;
  const status = $metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** `Name: message` of an error, for messages that must say what failed. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as ErrorShape).code;
    const suffix = typeof code === 'string' && code !== error.name ? ` (${code})` : '';
    return `${error.name}${suffix}: ${error.message}`;
  }
  return String(error);
}

/** The name to count a whole-call failure under: the AWS error name, or the socket error code. */
export function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { name, code } = error as ErrorShape;
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return code;
    if (typeof name === 'string' && name !== 'Error') return name;
    if (typeof code === 'string') return code;
  }
  return 'UnknownError';
}
