import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  DevPkiError,
  ensureDevPki,
  issueClientCertificate,
  issueServerCertificate,
} from './pki.js';

describe('dev PKI', () => {
  let dir: string;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'coffee-iot-pki-')), 'pki');
  });

  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('issues a server certificate for loopback and the extra names, signed by the CA', () => {
    const ca = createCertificateAuthority();
    const server = new X509Certificate(issueServerCertificate(ca, ['broker.local', '192.168.1.20']).certPem);

    expect(server.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(server.subjectAltName).toBe(
      'IP Address:127.0.0.1, DNS:localhost, DNS:broker.local, IP Address:192.168.1.20',
    );
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
  });

  it('issues client certificates whose CN is the thing name', () => {
    const ca = createCertificateAuthority();
    const client = new X509Certificate(issueClientCertificate(ca, 'coffee-pi-1').certPem);

    expect(client.subject).toBe('CN=coffee-pi-1');
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
  });

  it('makes unrelated CAs that do not vouch for each other', () => {
    const ours = createCertificateAuthority();
    const foreign = createCertificateAuthority({ commonName: 'foreign' });
    const client = new X509Certificate(issueClientCertificate(foreign, 'coffee-pi-1').certPem);

    expect(client.verify(new X509Certificate(ours.certPem).publicKey)).toBe(false);
  });

  it('creates the files on first run with private keys and directory closed to others', async () => {
    const paths = await ensureDevPki(dir, { thingNames: ['coffee-pi-1'] });

    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const key of [paths.caKeyPath, paths.server.keyPath, paths.clients['coffee-pi-1']?.keyPath]) {
      expect((await stat(key ?? '')).mode & 0o777).toBe(0o600);
    }
  });

  it('reuses the CA on later runs and issues certificates for new things from it', async () => {
    const first = await ensureDevPki(dir, { thingNames: ['coffee-pi-1'] });
    const caBefore = await readFile(first.caPath, 'utf8');
    const clientBefore = await readFile(first.clients['coffee-pi-1']?.certPath ?? '', 'utf8');

    const second = await ensureDevPki(dir, { thingNames: ['coffee-pi-1', 'coffee-pi-2'] });

    expect(await readFile(second.caPath, 'utf8')).toBe(caBefore);
    expect(await readFile(second.clients['coffee-pi-1']?.certPath ?? '', 'utf8')).toBe(clientBefore);
    const added = new X509Certificate(await readFile(second.clients['coffee-pi-2']?.certPath ?? ''));
    expect(added.verify(new X509Certificate(caBefore).publicKey)).toBe(true);
  });

  it('refuses a thing name that would escape the PKI directory', async () => {
    await expect(ensureDevPki(dir, { thingNames: ['../evil'] })).rejects.toBeInstanceOf(DevPkiError);
  });
});
