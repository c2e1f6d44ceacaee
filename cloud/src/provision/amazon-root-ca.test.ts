import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AMAZON_ROOT_CA_1_PEM } from './amazon-root-ca.js';

// Published with the certificate at https://www.amazontrust.com/repository/.
const FINGERPRINT_SHA256 =
  '8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E';

describe('Amazon Root CA 1', () => {
  const certificate = new X509Certificate(AMAZON_ROOT_CA_1_PEM);

  it('is the self-signed Amazon Root CA 1 with its published fingerprint', () => {
    expect(certificate.subject.split('\n')).toContain('CN=Amazon Root CA 1');
    expect(certificate.subject).toBe('C=US\nO=Amazon\nCN=Amazon Root CA 1');
    expect(certificate.issuer).toBe(certificate.subject);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.ca).toBe(true);
    expect(certificate.fingerprint256).toBe(FINGERPRINT_SHA256);
  });

  it('is valid from 2015-05-26 until 2038-01-17', () => {
    expect(new Date(certificate.validFrom).toISOString()).toBe('2015-05-26T00:00:00.000Z');
    expect(new Date(certificate.validTo).toISOString()).toBe('2038-01-17T00:00:00.000Z');
  });

  it('is one PEM block ending with a newline, as AmazonRootCA1.pem is published', () => {
    expect(AMAZON_ROOT_CA_1_PEM.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(AMAZON_ROOT_CA_1_PEM.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    expect(AMAZON_ROOT_CA_1_PEM.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
  });
});
