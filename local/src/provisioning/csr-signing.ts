import { createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import forge from 'node-forge';
import type { CertificateAuthority } from '../pki/pki.js';

/** A CSR the dev CA will not sign: unreadable, badly signed, or with a key IoT Core refuses. */
export class InvalidCsrError extends Error {
  override readonly name = 'InvalidCsrError';
}

/** What AWS IoT puts in the subject of a certificate it makes from a CSR, whatever the CSR asked for. */
export const CSR_CERTIFICATE_COMMON_NAME = 'coffee-iot device certificate';

const LEAF_VALID_DAYS = 825;
/** Backdating absorbs clock skew between the machine that issues and the one that verifies. */
const BACKDATE_MS = 60 * 60 * 1000;
/** A CSR is a few hundred bytes; refuse to parse megabytes from a device. */
const MAX_CSR_CHARS = 16 * 1024;

/** The CSR signature algorithms IoT Core accepts, by OID: the hash node:crypto verifies with. */
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const ALLOWED_CURVES = new Set(['prime256v1', 'secp384r1']);
const MIN_RSA_BITS = 2048;

/**
 * Signs a device's PKCS#10 request with the dev CA, as CreateCertificateFromCsr does: the request's
 * own signature is checked (the device holds the key), the key must be RSA ≥ 2048 bits or EC P-256
 * / P-384, and only the public key is taken from it (the subject is ours, as AWS ignores the CSR's).
 *
 * node-forge builds only RSA certificates, so the TBS certificate is assembled by forge with a
 * placeholder key, the CSR's SubjectPublicKeyInfo is put in its place, and node:crypto signs it.
 */
export function signCertificateRequest(ca: CertificateAuthority, csrPem: string, now = new Date()): string {
  const request = readRequest(csrPem);
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = caCert.publicKey; // placeholder, replaced below
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + LEAF_VALID_DAYS * 24 * 60 * 60 * 1000);
  cert.setSubject([{ name: 'commonName', value: CSR_CERTIFICATE_COMMON_NAME }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  const sha256WithRsa = forge.pki.oids.sha256WithRSAEncryption as string;
  cert.siginfo.algorithmOid = sha256WithRsa;
  cert.signatureOid = sha256WithRsa;
  const tbs = (forge.pki as unknown as ForgeTbs).getTBSCertificate(cert);
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, …
  (tbs.value as forge.asn1.Asn1[])[6] = request.subjectPublicKeyInfo;
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, ca.keyPem);
  const { asn1 } = forge;
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(sha256WithRsa).getBytes()),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${signature.toString('binary')}`),
  ]);
  const der = asn1.toDer(certificate).getBytes();
  return forge.pem.encode({ type: 'CERTIFICATE', body: der });
}

interface ReadRequest {
  subjectPublicKeyInfo: forge.asn1.Asn1;
  publicKey: KeyObject;
}

function readRequest(csrPem: unknown): ReadRequest {
  if (typeof csrPem !== 'string' || csrPem.length === 0) {
    throw new InvalidCsrError('certificateSigningRequest must be a PEM string');
  }
  if (csrPem.length > MAX_CSR_CHARS) {
    throw new InvalidCsrError(`certificateSigningRequest is longer than ${MAX_CSR_CHARS} characters`);
  }
  let request: forge.asn1.Asn1;
  try {
    const [block] = forge.pem.decode(csrPem);
    if (block?.type !== 'CERTIFICATE REQUEST' && block?.type !== 'NEW CERTIFICATE REQUEST') {
      throw new Error('no "CERTIFICATE REQUEST" PEM block');
    }
    // decodeBitStrings off: the signature is bytes, not nested ASN.1.
    request = (forge.asn1.fromDer as unknown as FromDerWithOptions)(block.body, { decodeBitStrings: false });
  } catch (error) {
    throw new InvalidCsrError(`certificateSigningRequest is not a PEM PKCS#10 request: ${String(error)}`, {
      cause: error,
    });
  }
  const info = child(request, 0);
  const algorithm = child(request, 1);
  const signatureBits = child(request, 2);
  const subjectPublicKeyInfo = child(info, 2);
  const oidNode = child(algorithm, 0);
  const oid = forge.asn1.derToOid(String(oidNode.value));
  const hash = SIGNATURE_HASHES[oid];
  if (hash === undefined) throw new InvalidCsrError(`CSR signature algorithm ${oid} is not accepted`);
  let publicKey: KeyObject;
  try {
    const spkiDer = Buffer.from(forge.asn1.toDer(subjectPublicKeyInfo).getBytes(), 'binary');
    publicKey = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch (error) {
    throw new InvalidCsrError('the CSR public key cannot be read', { cause: error });
  }
  checkKey(publicKey);
  const bits = String(signatureBits.value);
  // A BIT STRING's first byte counts the unused bits of the last byte; signatures have none.
  if (bits.charCodeAt(0) !== 0) throw new InvalidCsrError('the CSR signature is not whole bytes');
  const infoDer = Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary');
  const signature = Buffer.from(bits.slice(1), 'binary');
  let valid = false;
  try {
    valid = verify(hash, infoDer, publicKey, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidCsrError('the CSR signature does not match its public key');
  return { subjectPublicKeyInfo, publicKey };
}

function checkKey(key: KeyObject): void {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < MIN_RSA_BITS) {
      throw new InvalidCsrError(`RSA keys must have at least ${MIN_RSA_BITS} bits`);
    }
    return;
  }
  if (key.asymmetricKeyType === 'ec' && ALLOWED_CURVES.has(details.namedCurve ?? '')) return;
  throw new InvalidCsrError(
    `key type ${key.asymmetricKeyType}${details.namedCurve ? ` (${details.namedCurve})` : ''} is not accepted: use RSA ≥ ${MIN_RSA_BITS} or EC P-256/P-384`,
  );
}

function child(node: forge.asn1.Asn1, index: number): forge.asn1.Asn1 {
  const found = Array.isArray(node.value) ? node.value[index] : undefined;
  if (found === undefined) throw new InvalidCsrError('the CSR is not a well-formed PKCS#10 structure');
  return found;
}

/** Typings node-forge's own .d.ts leaves out. */
interface ForgeTbs {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}
type FromDerWithOptions = (bytes: string, options: { decodeBitStrings: boolean }) => forge.asn1.Asn1;
