import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

/*
 * Signatures for agent update bundles, as the device checks them (device/src/update/
 * bundle-verification.ts): ECDSA on P-256 over the bundle's bytes hashed with SHA-256, DER-encoded,
 * so `openssl dgst -sha256 -sign KEY.pem -out BUNDLE.sig BUNDLE` makes the same kind of signature
 * and `openssl dgst -sha256 -verify PUBLIC.pem -signature BUNDLE.sig BUNDLE` checks one.
 */

const P256 = 'prime256v1';

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

export interface BundleSignature {
  /** Lower-case hex SHA-256 of the bundle: the job document's bundle.sha256. */
  readonly sha256: string;
  /** DER ECDSA signature. */
  readonly der: Buffer;
  /** The same in base64: the job document's bundle.signature. */
  readonly base64: string;
}

/** The private key from PEM, refused unless it is an ECDSA P-256 key, naming what it is instead. */
export function parseSigningKey(pem: string | Buffer, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(String(pem))
      ? ' (encrypted keys are not supported: decrypt it with openssl pkey)'
      : '';
    throw new SigningKeyError(`${where} is not a PEM private key${encrypted}`, { cause: error });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== P256) {
    const found =
      key.asymmetricKeyType === 'ec'
        ? `an EC key on ${curve ?? 'an unknown curve'}`
        : `a ${key.asymmetricKeyType} key`;
    throw new SigningKeyError(
      `${where} is ${found}; update bundles are signed with an ECDSA P-256 (prime256v1) key (make one with --generate-key DIR)`,
    );
  }
  return key;
}

/** Signs `bundle` and checks the signature with the key's public half before returning it. */
export function signBundle(bundle: Uint8Array, key: KeyObject): BundleSignature {
  const der = sign('sha256', bundle, { key, dsaEncoding: 'der' });
  if (!verify('sha256', bundle, { key: createPublicKey(key), dsaEncoding: 'der' }, der)) {
    throw new SigningKeyError('the signature just made does not verify with the same key');
  }
  return { sha256: createHash('sha256').update(bundle).digest('hex'), der, base64: der.toString('base64') };
}

export interface SigningKeyPair {
  /** PKCS#8 PEM: stays with the operator. */
  readonly privateKeyPem: string;
  /** SPKI PEM: goes to every device, at agent.json's updatePublicKeyPath. */
  readonly publicKeyPem: string;
}

export function generateSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: P256 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}
