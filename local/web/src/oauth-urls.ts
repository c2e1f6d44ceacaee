// The Cognito hosted UI's OAuth 2.0 endpoints as the page uses them: the authorization-code grant
// with PKCE, refresh, revocation and sign-out. URLs and form bodies only; no DOM, no network.
// https://docs.aws.amazon.com/cognito/latest/developerguide/federation-endpoints.html
import type { AwsConfig } from './aws-config.js';

type AuthConfig = Pick<AwsConfig, 'authUrl' | 'userPoolClientId' | 'redirectUri'>;

/** The scopes the app client allows (infra/src/constructs/dashboard.ts): an id token and the user's email. */
export const SCOPES = 'openid email profile';

/** Where the browser goes to sign in; Cognito returns to redirectUri with ?code=…&state=…. */
export function authorizeUrl(config: AuthConfig, request: { state: string; challenge: string }): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.userPoolClientId,
    redirect_uri: config.redirectUri,
    scope: SCOPES,
    state: request.state,
    code_challenge: request.challenge,
    code_challenge_method: 'S256',
  });
  return `${config.authUrl}/oauth2/authorize?${query}`;
}

export function tokenUrl(config: Pick<AwsConfig, 'authUrl'>): string {
  return `${config.authUrl}/oauth2/token`;
}

export function revokeUrl(config: Pick<AwsConfig, 'authUrl'>): string {
  return `${config.authUrl}/oauth2/revoke`;
}

/** Ends the hosted UI's own session too, then returns to the page (a registered sign-out URL). */
export function logoutUrl(config: AuthConfig): string {
  const query = new URLSearchParams({ client_id: config.userPoolClientId, logout_uri: config.redirectUri });
  return `${config.authUrl}/logout?${query}`;
}

/**
 * The token request for the code Cognito returned. A public client sends no secret: the verifier
 * is the proof, and redirect_uri must be the one the authorization request named.
 */
export function codeExchangeBody(config: AuthConfig, code: string, verifier: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.userPoolClientId,
    code,
    redirect_uri: config.redirectUri,
    code_verifier: verifier,
  });
}

export function refreshBody(config: AuthConfig, refreshToken: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: config.userPoolClientId,
    refresh_token: refreshToken,
  });
}

export function revokeBody(config: AuthConfig, refreshToken: string): URLSearchParams {
  return new URLSearchParams({ token: refreshToken, client_id: config.userPoolClientId });
}

/** What Cognito put in the page's URL when it sent the browser back, if it did. */
export type SignInCallback =
  | { kind: 'code'; code: string; state: string }
  | { kind: 'error'; error: string; description: string | null; state: string | null };

const CALLBACK_PARAMS = ['code', 'state', 'error', 'error_description', 'error_uri'] as const;

export function readCallback(href: string): SignInCallback | null {
  const query = new URL(href).searchParams;
  const error = query.get('error');
  if (error !== null) {
    return { kind: 'error', error, description: query.get('error_description'), state: query.get('state') };
  }
  const code = query.get('code');
  const state = query.get('state');
  if (code === null || state === null) return null;
  return { kind: 'code', code, state };
}

/** `href` without what Cognito added, for history.replaceState: a reload must not replay the code. */
export function withoutCallback(href: string): string {
  const url = new URL(href);
  for (const name of CALLBACK_PARAMS) url.searchParams.delete(name);
  return url.href;
}
