// Proof Key for Code Exchange (RFC 7636, S256) and the sign-in request's state. No DOM here: Web
// Crypto is the browser's and also Node's globalThis.crypto, so the tests run the real thing.

/** What this needs of Web Crypto; tests may pass a deterministic one. */
export type CryptoLike = Pick<Crypto, 'getRandomValues' | 'subtle'>;

/** 32 random octets, as RFC 7636 §4.1 recommends: a 43-character verifier. */
const VERIFIER_BYTES = 32;
const STATE_BYTES = 16;

export interface PkceStart {
  /** Sent back by Cognito unchanged; matching it proves the answer is to our own request. */
  state: string;
  /** Kept in the tab until the code is exchanged; proves the exchanger is who asked. */
  verifier: string;
  /** base64url(SHA-256(verifier)), sent with the authorization request. */
  challenge: string;
}

export async function startPkce(crypto: CryptoLike = globalThis.crypto): Promise<PkceStart> {
  const verifier = randomUrlSafe(VERIFIER_BYTES, crypto);
  return {
    state: randomUrlSafe(STATE_BYTES, crypto),
    verifier,
    challenge: await s256Challenge(verifier, crypto),
  };
}

/** `byteCount` random octets, base64url without padding (only unreserved URL characters). */
export function randomUrlSafe(byteCount: number, crypto: CryptoLike = globalThis.crypto): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The S256 code challenge of `verifier` (RFC 7636 §4.2). */
export async function s256Challenge(
  verifier: string,
  crypto: CryptoLike = globalThis.crypto,
): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** base64url without padding (RFC 4648 §5), as RFC 7636 wants it. */
export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
