// The page's settings in AWS: /config.json, which infra/src/constructs/dashboard.ts deploys next to
// the page. The local stack serves none, and its absence is what selects local mode. No DOM here.
import { type Fetcher, throwUnlessOk } from './api-client.js';

export interface AwsConfig {
  /** The AWS region of the user pool and the API, e.g. eu-west-1. */
  region: string;
  /** {region}_{id}; not needed to sign in, checked so a config for another pool is caught. */
  userPoolId: string;
  /** The public app client the page signs in with (no secret: PKCE protects the code exchange). */
  userPoolClientId: string;
  /** The Cognito hosted UI, https://{prefix}.auth.{region}.amazoncognito.com, without a trailing slash. */
  authUrl: string;
  /** Where Cognito sends the browser after sign-in and sign-out; exactly as registered on the client. */
  redirectUri: string;
  /** The HTTP API's endpoint, without a trailing slash. */
  apiUrl: string;
}

/** /config.json exists but cannot be used; names every bad field at once. */
export class AwsConfigError extends Error {
  override readonly name = 'AwsConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`/config.json is not usable: ${problems.join('; ')}`);
  }
}

export const CONFIG_PATH = '/config.json';

// AWS's own forms: a region (us-gov-west-1 too), a user pool id and an app client id.
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9a-zA-Z]+$/;
const CLIENT_ID = /^[\w+]{1,128}$/;

/**
 * Reads /config.json: null when the server has none (404 or 204, the local stack), the checked config
 * otherwise. Throws AwsConfigError for content that is not a usable config (naming each field) and
 * DashboardRequestError for any other answer, so a broken deploy is never mistaken for local mode.
 */
export async function loadAwsConfig(fetcher: Fetcher, pageOrigin: string): Promise<AwsConfig | null> {
  // no-cache: revalidate, since every deploy writes a new one under the same name.
  const response = await fetcher(CONFIG_PATH, { headers: { accept: 'application/json' }, cache: 'no-cache' });
  // The local dashboard answers 204 (a 404 would be logged as a console error on every load);
  // a plain static server without the file answers 404. Either way: local mode.
  if (response.status === 404 || response.status === 204) return null;
  await throwUnlessOk(response, `could not load ${CONFIG_PATH}`);
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AwsConfigError([`it is not JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
  return parseAwsConfig(parsed, pageOrigin);
}

/**
 * Checks a parsed /config.json and returns it with URLs normalised (no trailing slash). `pageOrigin`
 * is where the page runs: Cognito only sends the browser back to the redirect URI, so it must be here.
 */
export function parseAwsConfig(value: unknown, pageOrigin: string): AwsConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AwsConfigError(['it must be a JSON object']);
  }
  const fields = value as Record<string, unknown>;
  const problems: string[] = [];
  const text = (name: keyof AwsConfig, pattern: RegExp, form: string): string => {
    const field = fields[name];
    if (typeof field === 'string' && pattern.test(field)) return field;
    problems.push(`${name} must be ${form}, got ${describe(field)}`);
    return '';
  };
  const url = (name: keyof AwsConfig, kind: 'origin' | 'page' | 'base'): string => {
    const field = fields[name];
    const parsed = typeof field === 'string' ? parseUrl(field) : null;
    const expected = {
      origin: 'an https:// origin with no path, e.g. https://example.auth.eu-west-1.amazoncognito.com',
      page: 'an https:// URL with no query or fragment, e.g. https://dashboard.example.com/',
      base: 'an https:// URL with no query or fragment, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com',
    }[kind];
    if (
      parsed === null ||
      parsed.protocol !== 'https:' ||
      parsed.search !== '' ||
      parsed.hash !== '' ||
      parsed.username !== '' ||
      parsed.password !== '' ||
      (kind === 'origin' && parsed.pathname !== '/')
    ) {
      problems.push(`${name} must be ${expected}, got ${describe(field)}`);
      return '';
    }
    // The redirect URI is compared with the registered one character for character: keep it as is.
    return kind === 'page' ? (field as string) : parsed.href.replace(/\/+$/, '');
  };

  const region = text('region', REGION, 'an AWS region such as eu-west-1');
  const userPoolId = text('userPoolId', USER_POOL_ID, 'a user pool id such as eu-west-1_AbCdEf123');
  const userPoolClientId = text('userPoolClientId', CLIENT_ID, 'an app client id (letters and digits)');
  const authUrl = url('authUrl', 'origin');
  const redirectUri = url('redirectUri', 'page');
  const apiUrl = url('apiUrl', 'base');

  const poolRegion = USER_POOL_ID.exec(userPoolId)?.[1];
  if (region !== '' && poolRegion !== undefined && poolRegion !== region) {
    problems.push(`userPoolId "${userPoolId}" belongs to ${poolRegion}, not to region ${region}`);
  }
  if (redirectUri !== '' && new URL(redirectUri).origin !== pageOrigin) {
    problems.push(
      `redirectUri must be on this page's origin ${pageOrigin} (Cognito returns there after sign-in), got "${redirectUri}"`,
    );
  }
  if (problems.length > 0) throw new AwsConfigError(problems);
  return { region, userPoolId, userPoolClientId, authUrl, redirectUri, apiUrl };
}

/**
 * An API path such as /api/snapshot or a snapshot's photoUrl as a URL on the API. Only absolute
 * paths are taken, so the sign-in token never goes to a host the config did not name.
 */
export function apiUrlFor(config: Pick<AwsConfig, 'apiUrl'>, path: string): string {
  if (!path.startsWith('/') || path.startsWith('//')) {
    throw new Error(`not a path on the API: "${path}"`);
  }
  return `${config.apiUrl}${path}`;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 79)}…` : json;
}
