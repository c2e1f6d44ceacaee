import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import {
  bitString,
  contextConstructed,
  objectIdentifier,
  sequence,
  set,
  smallInteger,
  toPem,
  utf8String,
} from './der.js';

const generateKeyPairAsync = promisify(generateKeyPair);

const OID_COMMON_NAME = '2.5.4.3';
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** RFC 5280: a CommonName is at most 64 characters. */
const MAX_COMMON_NAME = 64;

/** A new device key and the request for its certificate. */
export interface KeyAndCsr {
  /** PKCS#8 PEM. Written 0600 and never sent anywhere, never logged. */
  readonly privateKeyPem: string;
  /** PKCS#10 CertificationRequest, PEM: what CreateCertificateFromCsr takes. */
  readonly csrPem: string;
}

export class CsrError extends Error {
  override readonly name = 'CsrError';
}

/**
 * A PKCS#10 request (RFC 2986) for `key`, subject CN = `commonName`, signed ecdsa-with-SHA256:
 *
 *   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
 *   CertificationRequestInfo ::= SEQUENCE { version 0, subject Name, subjectPKInfo, attributes [0] }
 *
 * Node exports the SubjectPublicKeyInfo as DER and signs; only the envelope is encoded here.
 */
export function createCsr(key: KeyObject, commonName: string): string {
  if (commonName.length === 0 || commonName.length > MAX_COMMON_NAME) {
    throw new CsrError(
      `certificate subject CN must be 1-${MAX_COMMON_NAME} characters, got ${commonName.length}`,
    );
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec') {
    throw new CsrError('a CSR is signed with the EC private key it requests a certificate for');
  }
  const subject = sequence(set(sequence(objectIdentifier(OID_COMMON_NAME), utf8String(commonName))));
  const publicKeyInfo = createPublicKeyDer(key);
  const info = sequence(smallInteger(0), subject, publicKeyInfo, contextConstructed(0, Buffer.alloc(0)));
  const signature = sign('sha256', info, { key, dsaEncoding: 'der' });
  const request = sequence(info, sequence(objectIdentifier(OID_ECDSA_WITH_SHA256)), bitString(signature));
  return toPem('CERTIFICATE REQUEST', request);
}

function createPublicKeyDer(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/** A fresh EC P-256 key pair (the curve AWS IoT and the TLS stacks on a Pi all support) and its CSR. */
export async function createKeyAndCsr(commonName: string): Promise<KeyAndCsr> {
  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    csrPem: createCsr(privateKey, commonName),
  };
}

/** The CSR for an existing PEM key (a rotation resumed after a crash reuses the key it wrote). */
export function csrForKeyPem(privateKeyPem: string, commonName: string): string {
  return createCsr(createPrivateKey(privateKeyPem), commonName);
}
