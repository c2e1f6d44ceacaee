import { describe, expect, it } from 'vitest';
import {
  authorizeUrl,
  codeExchangeBody,
  logoutUrl,
  readCallback,
  refreshBody,
  revokeBody,
  revokeUrl,
  tokenUrl,
  withoutCallback,
} from './oauth-urls.js';

const CONFIG = {
  authUrl: 'https://coffee-dashboard.auth.eu-west-1.amazoncognito.com',
  userPoolClientId: 'client123',
  redirectUri: 'https://dashboard.example.com/',
};

describe('authorizeUrl', () => {
  it('asks the hosted UI for a code with an S256 challenge, the state and the registered return URL', () => {
    const url = new URL(authorizeUrl(CONFIG, { state: 'st4te', challenge: 'ch-all_enge' }));
    expect(`${url.origin}${url.pathname}`).toBe(`${CONFIG.authUrl}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://dashboard.example.com/',
      scope: 'openid email profile',
      state: 'st4te',
      code_challenge: 'ch-all_enge',
      code_challenge_method: 'S256',
    });
  });
});

describe('the token endpoint', () => {
  it('lives at /oauth2/token, revocation at /oauth2/revoke', () => {
    expect(tokenUrl(CONFIG)).toBe(`${CONFIG.authUrl}/oauth2/token`);
    expect(revokeUrl(CONFIG)).toBe(`${CONFIG.authUrl}/oauth2/revoke`);
  });

  it('exchanges a code with the verifier and the same redirect URI, form-encoded', () => {
    expect(codeExchangeBody(CONFIG, 'c0de', 'v/erifier').toString()).toBe(
      'grant_type=authorization_code&client_id=client123&code=c0de' +
        '&redirect_uri=https%3A%2F%2Fdashboard.example.com%2F&code_verifier=v%2Ferifier',
    );
  });

  it('renews with the refresh token, and revokes it on sign-out', () => {
    expect(Object.fromEntries(refreshBody(CONFIG, 'r+t'))).toEqual({
      grant_type: 'refresh_token',
      client_id: 'client123',
      refresh_token: 'r+t',
    });
    expect(Object.fromEntries(revokeBody(CONFIG, 'r+t'))).toEqual({ token: 'r+t', client_id: 'client123' });
  });
});

describe('logoutUrl', () => {
  it('names the client and the registered sign-out URL', () => {
    expect(logoutUrl(CONFIG)).toBe(
      `${CONFIG.authUrl}/logout?client_id=client123&logout_uri=https%3A%2F%2Fdashboard.example.com%2F`,
    );
  });
});

describe('readCallback', () => {
  it('finds the code and state Cognito returned', () => {
    expect(readCallback('https://dashboard.example.com/?code=abc&state=xyz')).toEqual({
      kind: 'code',
      code: 'abc',
      state: 'xyz',
    });
  });

  it('finds an error, with its description when given', () => {
    expect(
      readCallback(
        'https://dashboard.example.com/?error=access_denied&error_description=User+cancelled&state=xyz',
      ),
    ).toEqual({ kind: 'error', error: 'access_denied', description: 'User cancelled', state: 'xyz' });
  });

  it.each([
    'https://dashboard.example.com/',
    'https://dashboard.example.com/?code=abc',
    'https://dashboard.example.com/?state=x',
  ])('finds nothing in %s', (href) => {
    expect(readCallback(href)).toBeNull();
  });
});

describe('withoutCallback', () => {
  it('removes what Cognito added and nothing else', () => {
    expect(withoutCallback('https://dashboard.example.com/?code=abc&state=xyz')).toBe(
      'https://dashboard.example.com/',
    );
    expect(
      withoutCallback('https://dashboard.example.com/?page=2&error=x&error_description=y&state=z#top'),
    ).toBe('https://dashboard.example.com/?page=2#top');
  });
});
