import { join } from 'node:path';
import {
  type CertificateFilePaths,
  createCertificateAuthority,
  type DevPkiPaths,
  ensureDevPki,
  issueClientCertificate,
  writeCertificateFiles,
} from '../../../local/src/pki/pki.js';

/** Certificates for one test run: the broker's trusted PKI plus an unrelated CA for failure cases. */
export interface TestPki {
  readonly trusted: DevPkiPaths;
  readonly foreign: {
    /** A CA that signed nothing the broker uses: trusting it instead of ours is the "wrong CA" case. */
    readonly caPath: string;
    /** Client certificates issued by the foreign CA: the "unknown client certificate" case. */
    readonly clients: Readonly<Record<string, CertificateFilePaths>>;
  };
}

export async function createTestPki(dir: string, thingNames: readonly string[]): Promise<TestPki> {
  const trusted = await ensureDevPki(join(dir, 'trusted'), { thingNames });
  const foreignDir = join(dir, 'foreign');
  const foreignCa = createCertificateAuthority({ commonName: 'coffee-iot foreign test CA' });
  const { certPath: caPath } = await writeCertificateFiles(foreignDir, 'ca', foreignCa);
  const clients: Record<string, CertificateFilePaths> = {};
  for (const thingName of thingNames) {
    clients[thingName] = await writeCertificateFiles(
      foreignDir,
      thingName,
      issueClientCertificate(foreignCa, thingName),
    );
  }
  return { trusted, foreign: { caPath, clients } };
}

/** Looks up a thing's certificate, failing loudly on a typo instead of passing `undefined` on. */
export function clientFiles(
  clients: Readonly<Record<string, CertificateFilePaths>>,
  thingName: string,
): CertificateFilePaths {
  const files = clients[thingName];
  if (!files) throw new Error(`the test PKI has no certificate for "${thingName}"`);
  return files;
}
