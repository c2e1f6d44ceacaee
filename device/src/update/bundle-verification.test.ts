import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BundleVerificationError, parseUpdatePublicKey, verifyBundle } from './bundle-verification.js';

function p256(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function claims(bytes: Uint8Array, privateKey: KeyObject) {
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    signature: sign('sha256', bytes, { key: privateKey, dsaEncoding: 'der' }).toString('base64'),
  };
}

function refusal(run: () => void): BundleVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof BundleVerificationError) return error;
    throw error;
  }
  throw new Error('expected the bundle to be refused');
}

describe('verifyBundle', () => {
  const bundle = Buffer.from('coffee-iot-agent-1.2.3 tarball bytes');
  const keys = p256();

  it('accepts a bundle signed by the trusted key with the right digest', () => {
    expect(() => verifyBundle(bundle, claims(bundle, keys.privateKey), keys.publicKey)).not.toThrow();
  });

  it('refuses a flipped byte at the digest check', () => {
    const tampered = Buffer.from(bundle);
    tampered[3] = (tampered[3] ?? 0) ^ 0x01;
    const error = refusal(() => verifyBundle(tampered, claims(bundle, keys.privateKey), keys.publicKey));
    expect(error.check).toBe('digest');
    expect(error.message).toMatch(/^SHA-256 check failed/);
  });

  it('refuses a flipped byte at the signature check when the digest was updated to match', () => {
    const tampered = Buffer.from(bundle);
    tampered[3] = (tampered[3] ?? 0) ^ 0x01;
    const forged = {
      ...claims(bundle, keys.privateKey),
      sha256: createHash('sha256').update(tampered).digest('hex'),
    };
    const error = refusal(() => verifyBundle(tampered, forged, keys.publicKey));
    expect(error.check).toBe('signature');
    expect(error.message).toMatch(/^signature check failed: the bundle was not signed by the key/);
  });

  it('refuses a bundle signed by another key', () => {
    const error = refusal(() => verifyBundle(bundle, claims(bundle, p256().privateKey), keys.publicKey));
    expect(error.check).toBe('signature');
  });

  it('refuses a wrong digest in the job', () => {
    const wrong = { ...claims(bundle, keys.privateKey), sha256: 'ab'.repeat(32) };
    expect(refusal(() => verifyBundle(bundle, wrong, keys.publicKey)).check).toBe('digest');
    const malformed = { ...claims(bundle, keys.privateKey), sha256: 'not-hex' };
    expect(refusal(() => verifyBundle(bundle, malformed, keys.publicKey)).message).toContain(
      'not 64 hex digits',
    );
  });

  it('refuses a missing or malformed signature', () => {
    const { sha256 } = claims(bundle, keys.privateKey);
    expect(refusal(() => verifyBundle(bundle, { sha256, signature: undefined }, keys.publicKey)).check).toBe(
      'missing-signature',
    );
    expect(refusal(() => verifyBundle(bundle, { sha256, signature: '  ' }, keys.publicKey)).check).toBe(
      'missing-signature',
    );
    expect(refusal(() => verifyBundle(bundle, { sha256, signature: 'AAAA' }, keys.publicKey)).check).toBe(
      'signature',
    );
  });

  it('refuses an IEEE-P1363 (raw r||s) signature: the format is DER only', () => {
    const raw = sign('sha256', bundle, { key: keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString(
      'base64',
    );
    const { sha256 } = claims(bundle, keys.privateKey);
    expect(refusal(() => verifyBundle(bundle, { sha256, signature: raw }, keys.publicKey)).check).toBe(
      'signature',
    );
  });
});

describe('parseUpdatePublicKey', () => {
  it('takes a P-256 public key', () => {
    const pem = p256().publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(parseUpdatePublicKey(pem, 'k.pem').asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it.each([
    ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey, /EC key on secp384r1/],
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, /a rsa key/],
  ])('refuses a %s key, naming it', (_name, make, message) => {
    const pem = make().export({ type: 'spki', format: 'pem' }) as string;
    const error = refusal(() => parseUpdatePublicKey(pem, 'updatePublicKeyPath /k.pem'));
    expect(error.check).toBe('key');
    expect(error.message).toMatch(message);
    expect(error.message).toContain('expected an ECDSA P-256 (prime256v1) public key');
  });

  it('refuses text that is no key', () => {
    expect(refusal(() => parseUpdatePublicKey('hello', 'k.pem')).message).toBe(
      'k.pem is not a PEM public key',
    );
  });
});
