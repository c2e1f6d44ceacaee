// The tokens the page holds in AWS mode and when to renew them. No DOM here.

/** What the page keeps in sessionStorage (per tab, gone when the tab closes; never localStorage). */
export interface Tokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** Browser clock, epoch ms: when the access and id tokens stop being accepted. */
  expiresAtMs: number;
}

/** Renew this long before expiry, so a request is never sent with a token about to lapse. */
export const REFRESH_MARGIN_MS = 60_000;

/** Cognito's token endpoint answered 200 with something that is not a usable token response. */
export class TokenResponseError extends Error {
  override readonly name = 'TokenResponseError';
}

/**
 * The tokens from a token endpoint answer received at `receivedAtMs`. The expiry is counted from
 * `expires_in` on the browser's clock rather than read from the JWT's `exp`, which is on Cognito's:
 * a phone whose clock is off by minutes still renews in time. A refresh answer carries no refresh
 * token (unless the pool rotates them): the one used is kept.
 */
export function tokensFromResponse(
  body: unknown,
  receivedAtMs: number,
  currentRefreshToken?: string,
): Tokens {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const text = (name: string): string | undefined => {
    const value = fields[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const accessToken = text('access_token');
  const idToken = text('id_token');
  const refreshToken = text('refresh_token') ?? currentRefreshToken;
  const expiresIn = fields.expires_in;
  const missing = [
    accessToken === undefined && 'access_token',
    idToken === undefined && 'id_token',
    refreshToken === undefined && 'refresh_token',
    !(typeof expiresIn === 'number' && expiresIn > 0) && 'expires_in (seconds)',
  ].filter((name): name is string => name !== false);
  const tokenType = fields.token_type;
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')
    missing.push('token_type Bearer');
  if (missing.length > 0) {
    throw new TokenResponseError(`the sign-in service's token answer lacks ${missing.join(', ')}`);
  }
  return {
    accessToken: accessToken as string,
    idToken: idToken as string,
    refreshToken: refreshToken as string,
    expiresAtMs: receivedAtMs + (expiresIn as number) * 1000,
  };
}

/** True when the tokens lapse within `marginMs` (or already have). */
export function needsRefresh(
  tokens: Pick<Tokens, 'expiresAtMs'>,
  nowMs: number,
  marginMs = REFRESH_MARGIN_MS,
): boolean {
  return tokens.expiresAtMs - nowMs <= marginMs;
}

/** Tokens read back from storage; null for nothing or for anything not written by this page. */
export function parseStoredTokens(json: string | null): Tokens | null {
  if (json === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { accessToken, idToken, refreshToken, expiresAtMs } = value as Record<string, unknown>;
  if (
    typeof accessToken !== 'string' ||
    typeof idToken !== 'string' ||
    typeof refreshToken !== 'string' ||
    typeof expiresAtMs !== 'number' ||
    !Number.isFinite(expiresAtMs)
  ) {
    return null;
  }
  return { accessToken, idToken, refreshToken, expiresAtMs };
}
