import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CoffeeDatabase,
  createDeviceRepository,
  createSqlSerialAllowList,
  type DeviceRepository,
  migrateToLatest,
  openSqliteDatabase,
  type SerialAllowListAdmin,
} from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import { claimTopicGrants, DEFAULT_PROVISIONING_TEMPLATE, DEFAULT_TOPIC_PREFIX } from '@coffee-iot/shared';
import { EmbeddedBroker } from '../../broker/embedded-broker.js';
import {
  type CertificateAuthority,
  type DevPkiPaths,
  ensureClaimCertificate,
  ensureDevPki,
  loadCertificateAuthority,
} from '../../pki/pki.js';
import { CertificateRegistry } from '../certificate-registry.js';
import { ProvisioningService } from '../provisioning-service.js';
import type { TlsIdentity } from './mqtt-requests.js';

export interface ProvisioningFixture {
  readonly pki: DevPkiPaths;
  readonly ca: CertificateAuthority;
  readonly caPem: string;
  readonly claim: TlsIdentity;
  readonly registry: CertificateRegistry;
  readonly broker: EmbeddedBroker;
  readonly service: ProvisioningService;
  readonly allowList: SerialAllowListAdmin;
  readonly devices: DeviceRepository;
  /** The identity of a dev-PKI thing. */
  identity(thing: string): Promise<TlsIdentity>;
  stop(): Promise<void>;
}

export const REGISTRY_FILE = 'certificates.json';

/**
 * The local stack's certificate side as the stack wires it: dev PKI with a claim certificate, the
 * certificate registry (dev-PKI and claim certificates registered), the broker enforcing it, the
 * provisioning service on it, and a migrated SQLite registry database with the allow-list.
 */
export async function startProvisioningFixture(
  dir: string,
  things: readonly string[],
  logger: Logger,
  options: {
    /** A dev PKI made once for many tests (key generation is the slow part); else one in `dir`. */
    pkiDir?: string;
    database?: CoffeeDatabase;
  } = {},
): Promise<ProvisioningFixture> {
  const pki = await ensureDevPki(options.pkiDir ?? join(dir, 'pki'), { thingNames: things });
  const claimFiles = await ensureClaimCertificate(pki.dir);
  const database = options.database ?? openSqliteDatabase(join(dir, 'registry.sqlite'));
  const [caPem, caKeyPem, claimCert, claimKey] = await Promise.all(
    [pki.caPath, pki.caKeyPath, claimFiles.certPath, claimFiles.keyPath].map((path) =>
      readFile(path, 'utf8'),
    ),
  );
  const ca = loadCertificateAuthority(caPem as string, caKeyPem as string);
  const registry = await CertificateRegistry.open({
    path: join(dir, REGISTRY_FILE),
    claimGrants: claimTopicGrants(DEFAULT_PROVISIONING_TEMPLATE),
    logger,
  });
  for (const thing of things) {
    const files = pki.clients[thing];
    if (files) await registry.registerDevPki(thing, await readFile(files.certPath, 'utf8'));
  }
  await registry.registerClaim(claimCert as string);
  await migrateToLatest(database.db);
  const allowList = createSqlSerialAllowList(database);
  const devices = createDeviceRepository(database);
  const broker = new EmbeddedBroker({
    caPath: pki.caPath,
    certPath: pki.server.certPath,
    keyPath: pki.server.keyPath,
    logger,
    thingPolicy: { topicPrefix: DEFAULT_TOPIC_PREFIX, certificates: registry },
  });
  await broker.start();
  const service = new ProvisioningService({
    ca,
    registry,
    allowList,
    devices,
    topicPrefix: DEFAULT_TOPIC_PREFIX,
    templateName: DEFAULT_PROVISIONING_TEMPLATE,
    deviceConfiguration: { topicPrefix: DEFAULT_TOPIC_PREFIX },
    logger,
  });
  service.start(broker.aedes);
  return {
    pki,
    ca,
    caPem: caPem as string,
    claim: { cert: claimCert as string, key: claimKey as string, ca: caPem as string },
    registry,
    broker,
    service,
    allowList,
    devices,
    async identity(thing) {
      const files = pki.clients[thing];
      if (files === undefined) throw new Error(`no dev-PKI certificate for ${thing}`);
      const [cert, key] = await Promise.all([readFile(files.certPath), readFile(files.keyPath)]);
      return { cert, key, ca: caPem as string };
    },
    async stop() {
      await service.stop();
      await broker.stop();
      await registry.flushed();
      await database.close();
    },
  };
}
