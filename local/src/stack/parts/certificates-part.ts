import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CoffeeDatabase,
  createDeviceRepository,
  createSqlSerialAllowList,
  type SerialAllowListAdmin,
} from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import { claimTopicGrants, DEFAULT_PROVISIONING_TEMPLATE, DEFAULT_TOPIC_PREFIX } from '@coffee-iot/shared';
import type { EmbeddedBroker } from '../../broker/embedded-broker.js';
import {
  type CertificateAuthority,
  type CertificateFilePaths,
  type DevPkiPaths,
  ensureClaimCertificate,
  loadCertificateAuthority,
} from '../../pki/pki.js';
import { CertificateRegistry } from '../../provisioning/certificate-registry.js';
import { ProvisioningService } from '../../provisioning/provisioning-service.js';
import type { RunningPart } from '../stack-parts.js';

/** The certificate registry's file in the data directory. */
export const CERTIFICATE_REGISTRY_FILE = 'certificates.json';

export interface CertificatesPart extends RunningPart {
  registry: CertificateRegistry;
  ca: CertificateAuthority;
  /** The claim certificate an SD-card image carries (fleet provisioning by claim). */
  claim: CertificateFilePaths;
  templateName: string;
}

/**
 * IoT Core's certificate registry, locally: opened from the data directory, with the dev PKI's
 * device certificates (ACTIVE and attached to their thing the first time they are seen; one a
 * rotation retired stays retired) and the claim certificate. Starts before the broker, which
 * consults it at every CONNECT.
 */
export async function startCertificatesPart(options: {
  dataDir: string;
  pki: DevPkiPaths;
  templateName?: string;
  logger: Logger;
}): Promise<CertificatesPart> {
  const { pki } = options;
  const templateName = options.templateName ?? DEFAULT_PROVISIONING_TEMPLATE;
  const claim = await ensureClaimCertificate(pki.dir);
  const [caPem, caKeyPem, claimPem] = await Promise.all(
    [pki.caPath, pki.caKeyPath, claim.certPath].map((path) => readFile(path, 'utf8')),
  );
  const registry = await CertificateRegistry.open({
    path: join(options.dataDir, CERTIFICATE_REGISTRY_FILE),
    claimGrants: claimTopicGrants(templateName),
    devPkiDir: pki.dir,
    logger: options.logger.child({ part: 'certificates' }),
  });
  for (const [thing, files] of Object.entries(pki.clients)) {
    await registry.registerDevPki(thing, await readFile(files.certPath, 'utf8'));
  }
  await registry.registerClaim(claimPem as string);
  return {
    ready: `${Object.keys(pki.clients).length} device certificate(s) and the claim certificate ${claim.certPath}`,
    stop: () => registry.flushed(),
    registry,
    ca: loadCertificateAuthority(caPem as string, caKeyPem as string),
    claim,
    templateName,
  };
}

export interface ProvisioningPart extends RunningPart {
  service: ProvisioningService;
  /** The serial allow-list in the registry database: `allow([serial], note, now)` lets a Pi provision. */
  allowList: SerialAllowListAdmin;
}

/** CreateCertificateFromCsr, RegisterThing and rotation reports, answered by the embedded broker. */
export async function startProvisioningPart(options: {
  broker: EmbeddedBroker;
  certificates: CertificatesPart;
  database: CoffeeDatabase;
  logger: Logger;
}): Promise<ProvisioningPart> {
  const { certificates } = options;
  const allowList = createSqlSerialAllowList(options.database);
  const service = new ProvisioningService({
    ca: certificates.ca,
    registry: certificates.registry,
    allowList,
    devices: createDeviceRepository(options.database),
    topicPrefix: DEFAULT_TOPIC_PREFIX,
    templateName: certificates.templateName,
    deviceConfiguration: {},
    logger: options.logger.child({ part: 'provisioning' }),
  });
  service.start(options.broker.aedes);
  return {
    ready: `CreateCertificateFromCsr, RegisterThing (template ${certificates.templateName}), rotation reports`,
    stop: () => service.stop(),
    service,
    allowList,
  };
}
