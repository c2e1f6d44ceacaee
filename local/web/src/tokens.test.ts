import { describe, expect, it } from 'vitest';
import { needsRefresh, parseStoredTokens, TokenResponseError, tokensFromResponse } from './tokens.js';

const NOW = Date.UTC(2026, 2, 2, 12, 0, 0);

/** What Cognito's /oauth2/token answers to a code exchange. */
const CODE_ANSWER = {
  id_token: 'id.jwt',
  access_token: 'access.jwt',
  refresh_token: 'refresh.opaque',
  expires_in: 3600,
  token_type: 'Bearer',
};

describe('tokensFromResponse', () => {
  it('keeps the three tokens and counts the expiry from receipt on the browser clock', () => {
    expect(tokensFromResponse(CODE_ANSWER, NOW)).toEqual({
      idToken: 'id.jwt',
      accessToken: 'access.jwt',
      refreshToken: 'refresh.opaque',
      expiresAtMs: NOW + 3_600_000,
    });
  });

  it('keeps the refresh token in use when a refresh answer carries none', () => {
    const { refresh_token: _omitted, ...refreshAnswer } = CODE_ANSWER;
    expect(tokensFromResponse(refreshAnswer, NOW, 'refresh.old').refreshToken).toBe('refresh.old');
  });

  it('takes a rotated refresh token over the old one', () => {
    expect(
      tokensFromResponse({ ...CODE_ANSWER, refresh_token: 'refresh.new' }, NOW, 'refresh.old').refreshToken,
    ).toBe('refresh.new');
  });

  it('names everything missing from an answer it cannot use', () => {
    expect(() => tokensFromResponse({ access_token: 'a', token_type: 'mac', expires_in: 0 }, NOW)).toThrow(
      new TokenResponseError(
        "the sign-in service's token answer lacks id_token, refresh_token, expires_in (seconds), token_type Bearer",
      ),
    );
    expect(() => tokensFromResponse(null, NOW)).toThrow(TokenResponseError);
  });
});

describe('needsRefresh', () => {
  it('is false with more than a minute left, true within the last minute and after expiry', () => {
    expect(needsRefresh({ expiresAtMs: NOW + 61_000 }, NOW)).toBe(false);
    expect(needsRefresh({ expiresAtMs: NOW + 60_000 }, NOW)).toBe(true);
    expect(needsRefresh({ expiresAtMs: NOW + 1_000 }, NOW)).toBe(true);
    expect(needsRefresh({ expiresAtMs: NOW - 1_000 }, NOW)).toBe(true);
  });

  it('takes another margin', () => {
    expect(needsRefresh({ expiresAtMs: NOW + 10_000 }, NOW, 5_000)).toBe(false);
  });
});

describe('parseStoredTokens', () => {
  it('reads back what was stored', () => {
    const tokens = tokensFromResponse(CODE_ANSWER, NOW);
    expect(parseStoredTokens(JSON.stringify(tokens))).toEqual(tokens);
  });

  it.each([
    null,
    '',
    'not json',
    '{}',
    '{"accessToken":"a","idToken":"i","refreshToken":"r","expiresAtMs":"soon"}',
  ])('is null for %j', (stored) => {
    expect(parseStoredTokens(stored)).toBeNull();
  });
});
