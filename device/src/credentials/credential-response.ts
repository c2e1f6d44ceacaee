import { IotCredentialsResponseError } from './credentials-errors.js';

/** Temporary AWS credentials; structurally an `AwsCredentialIdentity` of the AWS SDK v3. */
export interface TemporaryAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const REQUIRED = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration'] as const;

/**
 * Parses the credential provider's documented answer
 * `{"credentials":{"accessKeyId","secretAccessKey","sessionToken","expiration"}}`, where
 * `expiration` is ISO-8601 UTC ("2023-02-06T05:54:46Z"). Throws IotCredentialsResponseError
 * naming every missing or malformed field at once.
 */
export function parseCredentialsResponse(body: string): TemporaryAwsCredentials {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new IotCredentialsResponseError(
      `credential provider answered 200 with a body that is not JSON: ${truncate(body)}`,
      ['credentials'],
      { cause },
    );
  }
  const credentials = (value as { credentials?: unknown } | null)?.credentials;
  if (typeof credentials !== 'object' || credentials === null) {
    // Name the keys only: a body shaped differently may still hold secrets.
    const keys = typeof value === 'object' && value !== null ? Object.keys(value).join(', ') : typeof value;
    throw new IotCredentialsResponseError(
      `credential provider answered 200 without a "credentials" object (got: ${keys || 'nothing'})`,
      ['credentials'],
    );
  }
  const fields = credentials as Record<string, unknown>;
  const missing: string[] = REQUIRED.filter(
    (name) => typeof fields[name] !== 'string' || fields[name] === '',
  );
  const expirationMs = typeof fields.expiration === 'string' ? Date.parse(fields.expiration) : Number.NaN;
  if (!missing.includes('expiration') && !Number.isFinite(expirationMs))
    missing.push('expiration (not a date)');
  if (missing.length > 0) {
    throw new IotCredentialsResponseError(
      `credential provider answer lacks credentials.${missing.join(', credentials.')}`,
      missing,
    );
  }
  return {
    accessKeyId: fields.accessKeyId as string,
    secretAccessKey: fields.secretAccessKey as string,
    sessionToken: fields.sessionToken as string,
    expiration: new Date(expirationMs),
  };
}

/** The `message` of an error answer (`{"message":"Access Denied"}`), else the body's start. */
export function errorMessageOf(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown } | null)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return truncate(body.trim());
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
