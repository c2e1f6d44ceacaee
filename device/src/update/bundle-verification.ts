import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * Which check refused a bundle, so the FAILED reason says what to fix: a `digest` mismatch is a
 * damaged or swapped download (or a wrong sha256 in the job document), a `signature` mismatch a
 * bundle not signed by the key this device trusts, a `missing-signature` an unsigned job, a `key`
 * problem this device's own configuration.
 */
export type BundleCheck = 'digest' | 'signature' | 'missing-signature' | 'key';

export class BundleVerificationError extends Error {
  override readonly name = 'BundleVerificationError';
  constructor(
    readonly check: BundleCheck,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the job document claims about the bundle. */
export interface BundleClaims {
  /** Lower-case hex SHA-256 of the bundle file. */
  readonly sha256: string;
  /**
   * Base64 of an ECDSA P-256 signature, DER-encoded (what `openssl dgst -sha256 -sign` and
   * `coffee-iot sign-bundle` write), over the bundle's bytes hashed with SHA-256.
   */
  readonly signature: string | undefined;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const P256 = 'prime256v1';

/**
 * The update public key from PEM, refused unless it is an EC key on P-256: any other key would
 * make every signature check fail with a message about the bundle instead of about the key.
 */
export function parseUpdatePublicKey(pem: string, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new BundleVerificationError('key', `${where} is not a PEM public key`, { cause: error });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== P256) {
    const found =
      key.asymmetricKeyType === 'ec'
        ? `an EC key on ${curve ?? 'an unknown curve'}`
        : `a ${key.asymmetricKeyType} key`;
    throw new BundleVerificationError(
      'key',
      `${where} is ${found}; expected an ECDSA P-256 (prime256v1) public key`,
    );
  }
  return key;
}

/**
 * Checks the bundle's digest, then its signature. Runs on the bytes in memory, before anything is
 * written: a refused bundle leaves no trace on disk.
 */
export function verifyBundle(bytes: Uint8Array, claims: BundleClaims, publicKey: KeyObject): void {
  const expected = claims.sha256.toLowerCase();
  if (!SHA256_HEX.test(expected)) {
    throw new BundleVerificationError(
      'digest',
      `the job's sha256 is not 64 hex digits: ${JSON.stringify(claims.sha256)}`,
    );
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new BundleVerificationError(
      'digest',
      `SHA-256 check failed: the bundle's SHA-256 is ${actual}, the job says ${expected} (damaged download or wrong bundle)`,
    );
  }
  if (claims.signature === undefined || claims.signature.trim() === '') {
    throw new BundleVerificationError(
      'missing-signature',
      'signature check failed: the job has no signature; sign the bundle with `coffee-iot sign-bundle --key KEY.pem BUNDLE`',
    );
  }
  const signature = Buffer.from(claims.signature, 'base64');
  let valid: boolean;
  try {
    valid = verify('sha256', bytes, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch (error) {
    // A malformed DER structure throws instead of returning false.
    throw new BundleVerificationError(
      'signature',
      'signature check failed: the signature is not a DER ECDSA signature',
      {
        cause: error,
      },
    );
  }
  if (!valid) {
    throw new BundleVerificationError(
      'signature',
      "signature check failed: the bundle was not signed by the key in this device's updatePublicKeyPath",
    );
  }
}
