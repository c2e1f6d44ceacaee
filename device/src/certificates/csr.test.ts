import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { CsrError, createCsr, createKeyAndCsr } from './csr.js';
import { objectIdentifier, tlv } from './der.js';

const dir = mkdtempSync(join(tmpdir(), 'csr-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslVerify(csrPem: string): string {
  const path = join(dir, `req-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(path, csrPem);
  // -verify checks the self-signature; OpenSSL 3 exits 0 either way and says which on stderr.
  const result = spawnSync('openssl', ['req', '-in', path, '-verify', '-noout', '-subject'], {
    encoding: 'utf8',
  });
  if (result.status !== 0 || !result.stderr.includes('self-signature verify OK')) {
    throw new Error(`openssl req -verify: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

describe('createKeyAndCsr', () => {
  it('makes a PKCS#10 request that openssl verifies, for the P-256 key it returns', async () => {
    const { privateKeyPem, csrPem } = await createKeyAndCsr('coffee-pi-3');
    expect(csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    expect(opensslVerify(csrPem)).toMatch(/subject=CN\s*=\s*coffee-pi-3/);
    const key = createPrivateKey(privateKeyPem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // The request carries this key's public half, not another one's.
    const path = join(dir, 'pub.pem');
    writeFileSync(path, csrPem);
    const fromCsr = execFileSync('openssl', ['req', '-in', path, '-noout', '-pubkey'], { encoding: 'utf8' });
    expect(createPublicKey(fromCsr).export({ type: 'spki', format: 'pem' })).toBe(
      createPublicKey(key).export({ type: 'spki', format: 'pem' }),
    );
  });

  it('parses with node-forge: version 0, CN, no attributes, and a valid signature', async () => {
    const { csrPem } = await createKeyAndCsr('00000000a1b2c3d4');
    // forge cannot verify ECDSA, so it reads the structure from the ASN.1 and openssl checks the signature.
    const asn1 = forge.asn1.fromDer(forge.util.decode64(csrPem.replace(/-----[^-]+-----|\s/g, '')));
    const [info, algorithm, signature] = children(asn1);
    const [version, subject, spki, attributes] = children(info);
    expect(forge.asn1.derToInteger(bytes(version))).toBe(0);
    const [cnType, cnValue] = children(children(children(subject)[0])[0]);
    expect(forge.asn1.derToOid(bytes(cnType))).toBe('2.5.4.3');
    expect(bytes(cnValue)).toBe('00000000a1b2c3d4');
    const [keyType, curve] = children(children(spki)[0]);
    expect(forge.asn1.derToOid(bytes(keyType))).toBe('1.2.840.10045.2.1');
    expect(forge.asn1.derToOid(bytes(curve))).toBe('1.2.840.10045.3.1.7');
    expect(attributes?.tagClass).toBe(forge.asn1.Class.CONTEXT_SPECIFIC);
    expect(children(attributes)).toEqual([]);
    expect(forge.asn1.derToOid(bytes(children(algorithm)[0]))).toBe('1.2.840.10045.4.3.2');
    expect(signature?.type).toBe(forge.asn1.Type.BITSTRING);
    expect(opensslVerify(csrPem)).toContain('00000000a1b2c3d4');
  });

  it('a tampered request fails openssl verification (the check can fail)', async () => {
    const { csrPem } = await createKeyAndCsr('coffee-pi-3');
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('coffee-pi-3'));
    der[at] = 'C'.charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(() => opensslVerify(tampered)).toThrow();
  });

  it('refuses a CN longer than 64 characters and a non-EC key', async () => {
    const { privateKeyPem } = await createKeyAndCsr('x');
    expect(() => createCsr(createPrivateKey(privateKeyPem), 'a'.repeat(65))).toThrow(CsrError);
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => createCsr(privateKey, 'x')).toThrow(CsrError);
  });
});

describe('DER', () => {
  it('encodes multi-byte OID arcs and long lengths', () => {
    expect(objectIdentifier('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('0481c8');
    expect(tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex')).toBe('0482012c');
  });
});

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Error('expected a constructed ASN.1 node');
  return node.value;
}

function bytes(node: forge.asn1.Asn1 | undefined): string {
  if (!node || typeof node.value !== 'string') throw new Error('expected a primitive ASN.1 node');
  return node.value;
}
