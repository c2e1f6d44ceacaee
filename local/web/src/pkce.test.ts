import { describe, expect, it } from 'vitest';
import { base64Url, type CryptoLike, randomUrlSafe, s256Challenge, startPkce } from './pkce.js';

const UNRESERVED = /^[A-Za-z0-9\-._~]+$/;

describe('s256Challenge', () => {
  it('matches the example of RFC 7636 appendix B', async () => {
    expect(await s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
});

describe('base64Url', () => {
  it('uses - and _ and drops the padding', () => {
    expect(base64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(base64Url(new Uint8Array([0xff]))).toBe('_w');
    expect(base64Url(new Uint8Array([]))).toBe('');
  });
});

describe('randomUrlSafe', () => {
  it('turns 32 random octets into 43 unreserved characters', () => {
    const value = randomUrlSafe(32);
    expect(value).toHaveLength(43);
    expect(value).toMatch(UNRESERVED);
  });

  it('draws from the crypto it is given', () => {
    const zeros: CryptoLike = {
      getRandomValues: <T extends ArrayBufferView | null>(array: T) => array,
      subtle: globalThis.crypto.subtle,
    };
    expect(randomUrlSafe(3, zeros)).toBe('AAAA');
  });
});

describe('startPkce', () => {
  it('makes a verifier of RFC 7636 length, its S256 challenge and an unrelated state', async () => {
    const start = await startPkce();
    expect(start.verifier).toMatch(UNRESERVED);
    expect(start.verifier.length).toBeGreaterThanOrEqual(43);
    expect(start.verifier.length).toBeLessThanOrEqual(128);
    expect(start.challenge).toBe(await s256Challenge(start.verifier));
    expect(start.state).toMatch(UNRESERVED);
    expect(start.state).not.toBe(start.verifier);
  });

  it('never repeats itself', async () => {
    const [a, b] = await Promise.all([startPkce(), startPkce()]);
    expect(a?.verifier).not.toBe(b?.verifier);
    expect(a?.state).not.toBe(b?.state);
  });
});
