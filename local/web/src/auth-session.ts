// Signing in to the dashboard in AWS: the Cognito hosted UI with the authorization-code grant and
// PKCE, tokens kept in the tab's sessionStorage, and API requests that carry them and renew them.
// Everything outside is injected (storage, fetch, clock, crypto), so the tests run it in Node.
import { type Fetcher, throwUnlessOk } from './api-client.js';
import type { AwsConfig } from './aws-config.js';
import {
  authorizeUrl,
  codeExchangeBody,
  logoutUrl,
  refreshBody,
  revokeBody,
  revokeUrl,
  type SignInCallback,
  tokenUrl,
} from './oauth-urls.js';
import { type CryptoLike, startPkce } from './pkce.js';
import { needsRefresh, parseStoredTokens, type Tokens, tokensFromResponse } from './tokens.js';

/** The part of Web Storage used; the page passes sessionStorage. */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface AuthSessionOptions {
  config: Pick<AwsConfig, 'authUrl' | 'userPoolClientId' | 'redirectUri'>;
  storage: KeyValueStore;
  fetch: Fetcher;
  /** Browser clock, epoch ms. */
  now: () => number;
  crypto?: CryptoLike;
}

/** Signing in failed in a way another automatic attempt would repeat; the page says why and stops. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
}

/** No tokens, or Cognito refused to renew them: the page must send the browser to sign in. */
export class SignInRequiredError extends Error {
  override readonly name = 'SignInRequiredError';
}

export const STORAGE_KEYS = {
  tokens: 'coffee-iot.auth.tokens',
  /** The state and verifier of the sign-in under way, until Cognito sends the browser back. */
  pending: 'coffee-iot.auth.pending',
  /** Set on sign-out, so the page returning from /logout does not send the user straight back in. */
  signedOut: 'coffee-iot.auth.signed-out',
} as const;

const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

export class AuthSession {
  /** One renewal at a time, shared by every request that finds the tokens stale. */
  private refreshing: Promise<Tokens> | null = null;

  constructor(private readonly options: AuthSessionOptions) {}

  hasTokens(): boolean {
    return this.tokens() !== null;
  }

  /** Whether the user signed out in this tab and has not signed in since. */
  signedOut(): boolean {
    return this.options.storage.getItem(STORAGE_KEYS.signedOut) !== null;
  }

  /** Starts a sign-in: remembers a fresh state and verifier, returns where to send the browser. */
  async signInUrl(): Promise<string> {
    const { state, verifier, challenge } = await startPkce(this.options.crypto);
    this.options.storage.setItem(STORAGE_KEYS.pending, JSON.stringify({ state, verifier }));
    return authorizeUrl(this.options.config, { state, challenge });
  }

  /**
   * Finishes the sign-in Cognito sent the browser back from: checks the state against the one this
   * tab stored, exchanges the code with the verifier, keeps the tokens. The stored state and verifier
   * are used once whatever happens. Throws SignInError with the reason.
   */
  async completeSignIn(callback: SignInCallback): Promise<void> {
    const { storage, config } = this.options;
    const pending = readPending(storage.getItem(STORAGE_KEYS.pending));
    storage.removeItem(STORAGE_KEYS.pending);
    if (callback.kind === 'error') {
      const detail = callback.description === null ? '' : ` (${callback.description})`;
      throw new SignInError(`sign-in failed: ${callback.error}${detail}`);
    }
    if (pending === null) {
      throw new SignInError(
        'sign-in answer arrived, but this tab did not start a sign-in (or it was already used)',
      );
    }
    if (pending.state !== callback.state) {
      throw new SignInError(
        'sign-in answer does not match the request this tab sent (state mismatch); not using it',
      );
    }
    const response = await this.postForm(
      tokenUrl(config),
      codeExchangeBody(config, callback.code, pending.verifier),
    );
    try {
      await throwUnlessOk(response, 'sign-in failed');
    } catch (error) {
      throw new SignInError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    this.store(tokensFromResponse(await response.json(), this.options.now()));
    storage.removeItem(STORAGE_KEYS.signedOut);
  }

  /**
   * `fetch` to the API with the access token. Renews the tokens first when they lapse within a minute,
   * and once more (then retries once) when the API answers 401 anyway, e.g. after a revocation.
   * Throws SignInRequiredError when there are no tokens or Cognito will not renew them.
   *
   * Why the access token: the API's JWT authorizer lists the app client id as its audience, which
   * API Gateway matches against a token's `aud` (id tokens) or, when there is none, its `client_id`
   * (access tokens), so both pass. The access token is the one OAuth meant for calling an API, and
   * it carries no name or email for the API's logs to pick up.
   */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    let tokens = await this.freshTokens();
    const response = await this.options.fetch(url, withBearer(init, tokens.accessToken));
    if (response.status !== 401) return response;
    tokens = await this.renewAfterRefusal(tokens);
    return this.options.fetch(url, withBearer(init, tokens.accessToken));
  }

  /**
   * Forgets the tokens and returns the hosted UI's sign-out URL to send the browser to. The refresh
   * token is also revoked (best effort, `keepalive` so it outlives the navigation): signing out of the
   * hosted UI alone would leave it valid for 30 days.
   */
  signOut(): { logoutUrl: string; revoked: Promise<void> } {
    const { storage, config } = this.options;
    const tokens = this.tokens();
    storage.removeItem(STORAGE_KEYS.tokens);
    storage.removeItem(STORAGE_KEYS.pending);
    storage.setItem(STORAGE_KEYS.signedOut, '1');
    const revoked =
      tokens === null
        ? Promise.resolve()
        : this.postForm(revokeUrl(config), revokeBody(config, tokens.refreshToken), { keepalive: true }).then(
            (response) => throwUnlessOk(response, 'could not revoke the refresh token'),
          );
    return { logoutUrl: logoutUrl(config), revoked };
  }

  private async freshTokens(): Promise<Tokens> {
    const tokens = this.tokens();
    if (tokens === null) throw new SignInRequiredError('not signed in');
    if (!needsRefresh(tokens, this.options.now())) return tokens;
    try {
      return await this.refresh(tokens);
    } catch (error) {
      // Cognito unreachable for a moment: the old token is still good for the last minute.
      if (!(error instanceof SignInRequiredError) && tokens.expiresAtMs > this.options.now()) return tokens;
      throw error;
    }
  }

  private async renewAfterRefusal(refused: Tokens): Promise<Tokens> {
    const current = this.tokens();
    if (current === null) throw new SignInRequiredError('signed out meanwhile');
    // Another request renewed them while this one was refused: use the new ones.
    if (current.accessToken !== refused.accessToken) return current;
    return this.refresh(current);
  }

  private refresh(tokens: Tokens): Promise<Tokens> {
    this.refreshing ??= this.requestRefresh(tokens).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async requestRefresh(tokens: Tokens): Promise<Tokens> {
    const { config, storage } = this.options;
    const response = await this.postForm(tokenUrl(config), refreshBody(config, tokens.refreshToken));
    // 400 invalid_grant: the refresh token expired or was revoked. Only a new sign-in helps.
    if (response.status === 400 || response.status === 401) {
      storage.removeItem(STORAGE_KEYS.tokens);
      const cause = await throwUnlessOk(response).catch((error: unknown) => error);
      throw new SignInRequiredError('the sign-in has expired', { cause });
    }
    await throwUnlessOk(response, 'could not renew the sign-in');
    const renewed = tokensFromResponse(await response.json(), this.options.now(), tokens.refreshToken);
    this.store(renewed);
    return renewed;
  }

  private tokens(): Tokens | null {
    return parseStoredTokens(this.options.storage.getItem(STORAGE_KEYS.tokens));
  }

  private store(tokens: Tokens): void {
    this.options.storage.setItem(STORAGE_KEYS.tokens, JSON.stringify(tokens));
  }

  private postForm(url: string, body: URLSearchParams, extra: RequestInit = {}): Promise<Response> {
    // A form body is a "simple" cross-origin request: no preflight to Cognito.
    return this.options.fetch(url, { ...extra, method: 'POST', headers: FORM, body: body.toString() });
  }
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

function readPending(json: string | null): { state: string; verifier: string } | null {
  if (json === null) return null;
  try {
    const value = JSON.parse(json) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { state, verifier } = value as Record<string, unknown>;
    return typeof state === 'string' && typeof verifier === 'string' ? { state, verifier } : null;
  } catch {
    return null;
  }
}
