import { createPrivateKey, X509Certificate } from 'node:crypto';

/**
 * AWS IoT's certificate id: the SHA-256 of the certificate's DER, in lowercase hex. The device
 * computes it from its own file, so a report names the certificate without asking the cloud.
 */
export function certificateIdOf(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256.replaceAll(':', '').toLowerCase();
}

/** Whether the key is the private half of the certificate's public key. */
export function keyMatchesCertificate(certificatePem: string, privateKeyPem: string): boolean {
  try {
    return new X509Certificate(certificatePem).checkPrivateKey(createPrivateKey(privateKeyPem));
  } catch {
    return false;
  }
}
