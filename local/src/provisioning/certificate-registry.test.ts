import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { claimTopicGrants } from '@coffee-iot/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueClientCertificate, writeCertificateFiles } from '../pki/pki.js';
import { captureLogs } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { certificateIdOfPem } from './certificate-id.js';
import {
  CertificateRegistry,
  CertificateRegistryError,
  PENDING_CERTIFICATE_TTL_MS,
} from './certificate-registry.js';

const ca = createCertificateAuthority({ commonName: 'registry test CA' });
const pi1 = issueClientCertificate(ca, 'coffee-pi-1').certPem;
const pi2 = issueClientCertificate(ca, 'coffee-pi-2').certPem;
const claim = issueClientCertificate(ca, 'claim').certPem;
const claimGrants = claimTopicGrants('coffee-iot-fleet');

describe('CertificateRegistry', () => {
  let temp: TempDir;
  let path: string;
  const logs = captureLogs();
  const open = (devPkiDir?: string) =>
    CertificateRegistry.open({ path, claimGrants, logger: logs.logger, ...(devPkiDir ? { devPkiDir } : {}) });
  const connecting = (pem: string, clientId: string, commonName?: string) => ({
    certificateId: certificateIdOfPem(pem),
    clientId,
    commonName,
  });

  beforeAll(async () => {
    temp = await tempDir('certificate-registry');
  });
  afterAll(() => temp?.remove());
  beforeEach(async (context) => {
    path = join(temp.dir, `${context.task.id}.json`);
  });

  it('admits a dev-PKI certificate only as its own thing, with its CN as client id', async () => {
    const registry = await open();
    await registry.registerDevPki('coffee-pi-1', pi1);
    expect(registry.admit(connecting(pi1, 'coffee-pi-1', 'coffee-pi-1'))).toEqual({ admitted: 'thing' });
    expect(registry.admit(connecting(pi1, 'coffee-pi-2', 'coffee-pi-1'))).toHaveProperty('refused');
    expect(registry.admit(connecting(pi2, 'coffee-pi-2', 'coffee-pi-2'))).toEqual({
      refused: expect.stringContaining('is not registered'),
    });
    expect(registry.refusals).toMatchObject({ otherThing: 1, unregistered: 1 });
  });

  it('admits the claim certificate under any client id, with the claim grants only', async () => {
    const registry = await open();
    await registry.registerClaim(claim);
    expect(registry.admit(connecting(claim, 'whatever-1'))).toEqual({
      admitted: 'claim',
      grants: claimGrants,
    });
  });

  it('refuses an issued certificate until it is attached and active; a retired one for good', async () => {
    const registry = await open();
    const issued = await registry.registerIssued(pi2, { clientId: 'coffee-pi-1', certificateId: 'x' });
    expect(issued).toMatchObject({ status: 'PENDING', thingName: null, origin: 'csr' });
    expect(registry.admit(connecting(pi2, 'coffee-pi-1'))).toEqual({
      refused: expect.stringContaining('PENDING'),
    });
    await registry.attach(issued.certificateId, 'coffee-pi-1');
    await registry.setStatus(issued.certificateId, 'ACTIVE');
    // Its subject means nothing: the attachment decides.
    expect(registry.admit(connecting(pi2, 'coffee-pi-1', 'coffee-pi-2'))).toEqual({ admitted: 'thing' });
    await expect(registry.attach(issued.certificateId, 'coffee-pi-3')).rejects.toThrow(
      CertificateRegistryError,
    );
    await registry.retire(issued.certificateId);
    expect(registry.admit(connecting(pi2, 'coffee-pi-1'))).toEqual({
      refused: expect.stringContaining('INACTIVE'),
    });
    expect(registry.refusals.notActive).toBe(2);
  });

  it('keeps every change across a reopen, and a re-registered dev-PKI certificate keeps its status', async () => {
    const first = await open();
    const record = await first.registerDevPki('coffee-pi-1', pi1);
    await first.retire(record.certificateId);
    const second = await open();
    expect(second.get(record.certificateId)).toMatchObject({ status: 'INACTIVE', thingName: null });
    await second.registerDevPki('coffee-pi-1', pi1);
    expect(second.get(record.certificateId)?.status).toBe('INACTIVE');
    // Atomic writes leave no temporary file behind.
    expect((await readdir(temp.dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('adopts at its first CONNECT a certificate ensureDevPki wrote later, and only that very file', async () => {
    const pkiDir = join(temp.dir, 'pki');
    await writeCertificateFiles(pkiDir, 'coffee-pi-2', { certPem: pi2, keyPem: 'unused' });
    const registry = await open(pkiDir);
    expect(registry.admit(connecting(pi2, 'coffee-pi-2', 'coffee-pi-2'))).toEqual({ admitted: 'thing' });
    expect(registry.get(certificateIdOfPem(pi2))).toMatchObject({ status: 'ACTIVE', origin: 'dev-pki' });
    // Another certificate under that client id is not the file's: refused.
    expect(registry.admit(connecting(pi1, 'coffee-pi-2', 'coffee-pi-2'))).toHaveProperty('refused');
    await registry.flushed();
    expect(JSON.parse(await readFile(path, 'utf8')).certificates).toHaveLength(1);
  });

  it('deletes a certificate left PENDING and unattached for an hour, at the next issue', async () => {
    let now = Date.parse('2026-12-07T10:00:00Z');
    const registry = await CertificateRegistry.open({
      path,
      claimGrants,
      logger: logs.logger,
      now: () => new Date(now),
    });
    const left = await registry.registerIssued(pi1, { clientId: 'claim-1', certificateId: 'x' });
    const used = await registry.registerIssued(pi2, { clientId: 'claim-1', certificateId: 'x' });
    await registry.attachActive(used.certificateId, 'coffee-pi-2');
    now += PENDING_CERTIFICATE_TTL_MS;
    await registry.registerIssued(claim, { clientId: 'claim-2', certificateId: 'y' });
    expect(registry.get(left.certificateId)).toBeUndefined();
    expect(registry.get(used.certificateId)?.status).toBe('ACTIVE');
    expect(
      (await CertificateRegistry.open({ path, claimGrants, logger: logs.logger })).get(left.certificateId),
    ).toBeUndefined();
  });

  it('names the file and the way out when it is not a registry', async () => {
    await writeFile(path, '{"half":');
    await expect(open()).rejects.toThrow(/is not a certificate registry .*move it away/);
  });
});
