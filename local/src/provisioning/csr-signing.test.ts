import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority } from '../pki/pki.js';
import { CSR_CERTIFICATE_COMMON_NAME, InvalidCsrError, signCertificateRequest } from './csr-signing.js';
import { keyAndCsr } from './testing/mqtt-requests.js';

/** An RSA CSR made by node-forge, as a device without openssl might. */
function rsaCsr(bits: number, commonName = 'coffee-pi-1'): string {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKey);
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('signCertificateRequest', () => {
  let ca: CertificateAuthority;
  let caCert: X509Certificate;

  beforeAll(() => {
    ca = createCertificateAuthority({ commonName: 'csr test CA' });
    caCert = new X509Certificate(ca.certPem);
  });

  it('signs an EC P-256 request: issued by the CA, for the request key, for client auth, with our subject', () => {
    const { csrPem, keyPem } = keyAndCsr();
    const cert = new X509Certificate(signCertificateRequest(ca, csrPem));
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(cert.subject).toBe(`CN=${CSR_CERTIFICATE_COMMON_NAME}`);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(cert.ca).toBe(false);
  });

  it('signs an RSA-2048 request and ignores the subject it asks for', () => {
    const cert = new X509Certificate(signCertificateRequest(ca, rsaCsr(2048, 'coffee-pi-2')));
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject).not.toContain('coffee-pi-2');
  });

  it.each([
    ['an RSA key under 2048 bits', () => rsaCsr(1024), /at least 2048 bits/],
    ['a certificate instead of a request', () => ca.certPem, /not a PEM PKCS#10 request/],
    ['no PEM at all', () => 'hello', /not a PEM PKCS#10 request/],
    ['a number', () => 42 as unknown as string, /must be a PEM string/],
    ['a request of 20 KiB', () => 'x'.repeat(20_000), /longer than/],
  ])('refuses %s', (_label, csr, message) => {
    expect(() => signCertificateRequest(ca, csr())).toThrow(InvalidCsrError);
    expect(() => signCertificateRequest(ca, csr())).toThrow(message);
  });

  it('refuses a request whose key was swapped after signing (the device must hold the key)', () => {
    const { csrPem } = keyAndCsr();
    const other = keyAndCsr();
    // Same structure, the other request's public key: the signature no longer matches.
    const swapped = forge.asn1.fromDer(pemBody(csrPem));
    const donor = forge.asn1.fromDer(pemBody(other.csrPem));
    const kids = (node: forge.asn1.Asn1 | undefined) => (node?.value ?? []) as forge.asn1.Asn1[];
    const donorKey = kids(kids(donor)[0])[2];
    if (donorKey === undefined) throw new Error('the donor request has no public key');
    kids(kids(swapped)[0])[2] = donorKey;
    const pem = forge.pem.encode({ type: 'CERTIFICATE REQUEST', body: forge.asn1.toDer(swapped).getBytes() });
    expect(() => signCertificateRequest(ca, pem)).toThrow(/signature does not match/);
  });
});

function pemBody(pem: string): string {
  return forge.pem.decode(pem)[0]?.body ?? '';
}
