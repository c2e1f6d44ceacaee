import { describe, expect, it } from 'vitest';
import type { Fetcher } from './api-client.js';
import {
  AuthSession,
  type KeyValueStore,
  SignInError,
  SignInRequiredError,
  STORAGE_KEYS,
} from './auth-session.js';
import { s256Challenge } from './pkce.js';
import type { Tokens } from './tokens.js';

const CONFIG = {
  authUrl: 'https://coffee-dashboard.auth.eu-west-1.amazoncognito.com',
  userPoolClientId: 'client123',
  redirectUri: 'https://dashboard.example.com/',
};
const TOKEN_URL = `${CONFIG.authUrl}/oauth2/token`;
const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com/api/snapshot';
const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);

class MemoryStore implements KeyValueStore {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
  keepalive: boolean;
}

function tokenAnswer(n: number, extra: Record<string, unknown> = {}): Response {
  return Response.json({
    id_token: `id-${n}`,
    access_token: `access-${n}`,
    expires_in: 3600,
    token_type: 'Bearer',
    ...extra,
  });
}

/** A session over memory storage, a hand-set clock and a fetch the test scripts per URL. */
function setup(routes: Record<string, (sent: Sent) => Response | Promise<Response>> = {}) {
  const storage = new MemoryStore();
  const sent: Sent[] = [];
  const clock = { now: T0 };
  const fetch: Fetcher = async (url, init = {}) => {
    const request: Sent = {
      url,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? init.body : null,
      keepalive: init.keepalive === true,
    };
    sent.push(request);
    const route = routes[url.split('?')[0] ?? url];
    if (route === undefined) throw new TypeError(`fetch failed: nothing at ${url}`);
    return route(request);
  };
  const session = new AuthSession({ config: CONFIG, storage, fetch, now: () => clock.now });
  const signedIn = (tokens: Partial<Tokens> = {}) =>
    storage.setItem(
      STORAGE_KEYS.tokens,
      JSON.stringify({
        accessToken: 'access-0',
        idToken: 'id-0',
        refreshToken: 'refresh-0',
        expiresAtMs: T0 + 3_600_000,
        ...tokens,
      }),
    );
  const stored = () => JSON.parse(storage.getItem(STORAGE_KEYS.tokens) ?? 'null') as Tokens | null;
  return { session, storage, sent, clock, signedIn, stored };
}

const form = (sent: Sent) => Object.fromEntries(new URLSearchParams(sent.body ?? ''));

describe('AuthSession sign-in', () => {
  it('starts with an S256 challenge of a verifier it keeps in the tab, and a state', async () => {
    const { session, storage } = setup();
    const url = new URL(await session.signInUrl());
    const pending = JSON.parse(storage.getItem(STORAGE_KEYS.pending) ?? '{}');
    expect(url.searchParams.get('state')).toBe(pending.state);
    expect(url.searchParams.get('code_challenge')).toBe(await s256Challenge(pending.verifier));
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('exchanges the returned code with the verifier and keeps the tokens in the storage given', async () => {
    const { session, storage, sent, stored } = setup({
      [TOKEN_URL]: () => tokenAnswer(1, { refresh_token: 'refresh-1' }),
    });
    const state = new URL(await session.signInUrl()).searchParams.get('state') ?? '';
    const { verifier } = JSON.parse(storage.getItem(STORAGE_KEYS.pending) ?? '{}');

    await session.completeSignIn({ kind: 'code', code: 'c0de', state });

    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(form(sent[0] as Sent)).toEqual({
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'c0de',
      redirect_uri: CONFIG.redirectUri,
      code_verifier: verifier,
    });
    expect(stored()).toEqual({
      accessToken: 'access-1',
      idToken: 'id-1',
      refreshToken: 'refresh-1',
      expiresAtMs: T0 + 3_600_000,
    });
    expect(storage.getItem(STORAGE_KEYS.pending)).toBeNull();
    expect(session.hasTokens()).toBe(true);
  });

  it('refuses an answer whose state is not the one it sent, without exchanging the code', async () => {
    const { session, sent, storage } = setup();
    await session.signInUrl();
    await expect(session.completeSignIn({ kind: 'code', code: 'c0de', state: 'forged' })).rejects.toThrow(
      new SignInError(
        'sign-in answer does not match the request this tab sent (state mismatch); not using it',
      ),
    );
    expect(sent).toEqual([]);
    // Used once: a second try with the right state would not find it either.
    expect(storage.getItem(STORAGE_KEYS.pending)).toBeNull();
  });

  it('refuses an answer when this tab started no sign-in', async () => {
    const { session } = setup();
    await expect(session.completeSignIn({ kind: 'code', code: 'c0de', state: 'x' })).rejects.toThrow(
      /did not start a sign-in/,
    );
  });

  it('reports the error Cognito sent back', async () => {
    const { session } = setup();
    await session.signInUrl();
    await expect(
      session.completeSignIn({
        kind: 'error',
        error: 'access_denied',
        description: 'User cancelled',
        state: null,
      }),
    ).rejects.toThrow(new SignInError('sign-in failed: access_denied (User cancelled)'));
  });

  it('reports the token endpoint’s refusal in its own words', async () => {
    const { session, stored } = setup({
      [TOKEN_URL]: () => Response.json({ error: 'invalid_grant' }, { status: 400 }),
    });
    const state = new URL(await session.signInUrl()).searchParams.get('state') ?? '';
    const failure = session.completeSignIn({ kind: 'code', code: 'used', state });
    await expect(failure).rejects.toBeInstanceOf(SignInError);
    await expect(failure).rejects.toThrow('sign-in failed: invalid_grant');
    expect(stored()).toBeNull();
  });

  it('clears the signed-out mark once signed in again', async () => {
    const { session, storage } = setup({ [TOKEN_URL]: () => tokenAnswer(1, { refresh_token: 'r' }) });
    storage.setItem(STORAGE_KEYS.signedOut, '1');
    expect(session.signedOut()).toBe(true);
    const state = new URL(await session.signInUrl()).searchParams.get('state') ?? '';
    await session.completeSignIn({ kind: 'code', code: 'c', state });
    expect(session.signedOut()).toBe(false);
  });
});

describe('AuthSession.fetch', () => {
  it('sends the access token as a Bearer token, keeping the caller’s headers', async () => {
    const { session, signedIn, sent } = setup({ [API]: () => new Response('{}') });
    signedIn();
    await session.fetch(API, { headers: { accept: 'application/json' } });
    expect(sent[0]?.headers.get('authorization')).toBe('Bearer access-0');
    expect(sent[0]?.headers.get('accept')).toBe('application/json');
  });

  it('throws SignInRequiredError when not signed in, sending nothing', async () => {
    const { session, sent } = setup();
    await expect(session.fetch(API)).rejects.toBeInstanceOf(SignInRequiredError);
    expect(sent).toEqual([]);
  });

  it('renews first when the token lapses within a minute, keeping the refresh token', async () => {
    const { session, signedIn, sent, clock, stored } = setup({
      [TOKEN_URL]: () => tokenAnswer(2),
      [API]: () => new Response('{}'),
    });
    signedIn();
    clock.now = T0 + 3_600_000 - 60_000;

    await session.fetch(API);

    expect(sent.map((s) => s.url)).toEqual([TOKEN_URL, API]);
    expect(form(sent[0] as Sent)).toEqual({
      grant_type: 'refresh_token',
      client_id: 'client123',
      refresh_token: 'refresh-0',
    });
    expect(sent[1]?.headers.get('authorization')).toBe('Bearer access-2');
    expect(stored()).toMatchObject({
      accessToken: 'access-2',
      refreshToken: 'refresh-0',
      expiresAtMs: clock.now + 3_600_000,
    });
  });

  it('does not renew with more than a minute left', async () => {
    const { session, signedIn, sent, clock } = setup({ [API]: () => new Response('{}') });
    signedIn();
    clock.now = T0 + 3_600_000 - 61_000;
    await session.fetch(API);
    expect(sent.map((s) => s.url)).toEqual([API]);
  });

  it('renews and retries once when the API answers 401', async () => {
    let calls = 0;
    const { session, signedIn, sent } = setup({
      [TOKEN_URL]: () => tokenAnswer(2),
      [API]: () => (++calls === 1 ? new Response('', { status: 401 }) : new Response('{}')),
    });
    signedIn();
    const response = await session.fetch(API);
    expect(response.status).toBe(200);
    expect(sent.map((s) => [s.url, s.headers.get('authorization')])).toEqual([
      [API, 'Bearer access-0'],
      [TOKEN_URL, null],
      [API, 'Bearer access-2'],
    ]);
  });

  it('hands back a second 401 rather than renewing in a loop', async () => {
    const { session, signedIn, sent } = setup({
      [TOKEN_URL]: () => tokenAnswer(2),
      [API]: () => Response.json({ message: 'Unauthorized' }, { status: 401 }),
    });
    signedIn();
    expect((await session.fetch(API)).status).toBe(401);
    expect(sent).toHaveLength(3);
  });

  it('renews once for requests that find the token stale together', async () => {
    const { session, signedIn, sent, clock } = setup({
      [TOKEN_URL]: () => tokenAnswer(2),
      [API]: () => new Response('{}'),
    });
    signedIn();
    clock.now = T0 + 3_600_000;
    await Promise.all([session.fetch(API), session.fetch(API), session.fetch(API)]);
    expect(sent.filter((s) => s.url === TOKEN_URL)).toHaveLength(1);
    expect(sent.filter((s) => s.url === API).map((s) => s.headers.get('authorization'))).toEqual([
      'Bearer access-2',
      'Bearer access-2',
      'Bearer access-2',
    ]);
  });

  it('forgets the tokens and asks for a new sign-in when Cognito refuses the refresh token', async () => {
    const { session, signedIn, clock, stored } = setup({
      [TOKEN_URL]: () => Response.json({ error: 'invalid_grant' }, { status: 400 }),
    });
    signedIn();
    clock.now = T0 + 3_600_000;
    await expect(session.fetch(API)).rejects.toBeInstanceOf(SignInRequiredError);
    expect(stored()).toBeNull();
  });

  it('uses the old token in its last minute when Cognito cannot be reached', async () => {
    const { session, signedIn, sent, clock } = setup({ [API]: () => new Response('{}') });
    signedIn();
    clock.now = T0 + 3_600_000 - 30_000;
    await session.fetch(API);
    expect(sent.map((s) => [s.url, s.headers.get('authorization')])).toEqual([
      [TOKEN_URL, null],
      [API, 'Bearer access-0'],
    ]);
  });

  it('fails, keeping the tokens, when Cognito cannot be reached and the token has lapsed', async () => {
    const { session, signedIn, clock, stored } = setup({
      [TOKEN_URL]: () => new Response('busy', { status: 503 }),
    });
    signedIn();
    clock.now = T0 + 3_600_000 + 1;
    await expect(session.fetch(API)).rejects.toThrow('could not renew the sign-in: busy');
    expect(stored()).not.toBeNull();
  });
});

describe('AuthSession.signOut', () => {
  it('forgets the tokens, marks the tab signed out, revokes the refresh token and names the logout URL', async () => {
    const { session, signedIn, sent, stored } = setup({
      [`${CONFIG.authUrl}/oauth2/revoke`]: () => new Response(''),
    });
    signedIn();
    const { logoutUrl, revoked } = session.signOut();
    await revoked;
    expect(stored()).toBeNull();
    expect(session.signedOut()).toBe(true);
    expect(logoutUrl).toBe(
      `${CONFIG.authUrl}/logout?client_id=client123&logout_uri=https%3A%2F%2Fdashboard.example.com%2F`,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      url: `${CONFIG.authUrl}/oauth2/revoke`,
      method: 'POST',
      keepalive: true,
    });
    expect(form(sent[0] as Sent)).toEqual({ token: 'refresh-0', client_id: 'client123' });
  });

  it('revokes nothing when not signed in', async () => {
    const { session, sent } = setup();
    await session.signOut().revoked;
    expect(sent).toEqual([]);
  });
});
