import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@coffee-iot/device';
import { claimMayConnectAs, type DeviceTopicGrants, THING_NAME_PATTERN } from '@coffee-iot/shared';
import type { CertificateGate, ConnectingCertificate, ConnectionAdmission } from '../broker/thing-policy.js';
import { readFileIfExists, writeFileAtomically } from './atomic-file.js';
import { certificateIdOfPem } from './certificate-id.js';

/** AWS IoT's certificate states that matter here: only ACTIVE connects. */
export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'PENDING';

/** Where a certificate came from: it decides what it may connect as. */
export type CertificateOrigin =
  /** Issued by ensureDevPki for a simulated or test device; its CN must also be the client id. */
  | 'dev-pki'
  /** Made by CreateCertificateFromCsr; its subject means nothing, the attachment decides. */
  | 'csr'
  /** The shared claim certificate of an SD-card image: provisioning topics only, any client id. */
  | 'claim';

export interface CertificateRecord {
  /** SHA-256 of the DER, as AWS IoT names certificates. */
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly status: CertificateStatus;
  /** The thing it is attached to; null when attached to none. */
  readonly thingName: string | null;
  readonly origin: CertificateOrigin;
  /**
   * The connection that asked for it (CreateCertificateFromCsr): its client id and certificate.
   * A rotation report may attach it only to the thing that asked.
   */
  readonly requestedBy: { readonly clientId: string; readonly certificateId: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Why CONNECTs were refused, by reason. */
export interface CertificateRefusals {
  noCertificate: number;
  unregistered: number;
  notActive: number;
  notAttached: number;
  otherThing: number;
  /** A claim certificate connecting under a provisioned thing's name (it would knock that Pi off). */
  claimAsThing: number;
}

/**
 * IoT Core deletes a certificate made by CreateCertificateFromCsr that is neither activated nor
 * attached within an hour; so does this registry, so a claim holder asking again and again cannot
 * grow it without bound.
 */
export const PENDING_CERTIFICATE_TTL_MS = 60 * 60 * 1000;

export class CertificateRegistryError extends Error {
  override readonly name = 'CertificateRegistryError';
}

export interface CertificateRegistryOptions {
  /** The JSON file in the data directory; created on the first change. */
  path: string;
  /** What a connection with a claim certificate may do (claimTopicGrants of the template). */
  claimGrants: DeviceTopicGrants;
  /**
   * The dev PKI's directory: a certificate not registered yet that ensureDevPki wrote there for
   * the connecting client id (`{dir}/{clientId}.crt`, the very same certificate) is registered at
   * its first CONNECT, ACTIVE and attached, as if it had been there at start-up. Tests and tools
   * add things to the dev PKI while the stack runs.
   */
  devPkiDir?: string;
  logger: Logger;
  now?: () => Date;
}

interface RegistryFile {
  version: 1;
  certificates: CertificateRecord[];
}

/**
 * The local stand-in for IoT Core's certificate registry: every certificate the broker may accept,
 * its status and the thing it is attached to. The broker consults it at every CONNECT (it is the
 * broker's CertificateGate), so a deactivated certificate is refused from the next connection on.
 *
 * Kept in memory and written to one JSON file after every change (atomically, one write at a
 * time); a change resolves once it is on disk, so an answer sent after it survives a restart.
 */
export class CertificateRegistry implements CertificateGate {
  private readonly records = new Map<string, CertificateRecord>();
  private readonly log: Logger;
  private readonly now: () => Date;
  private saving: Promise<void> = Promise.resolve();
  readonly refusals: CertificateRefusals = {
    noCertificate: 0,
    unregistered: 0,
    notActive: 0,
    notAttached: 0,
    otherThing: 0,
    claimAsThing: 0,
  };

  private constructor(private readonly options: CertificateRegistryOptions) {
    this.log = options.logger.child({ component: 'certificate-registry' });
    this.now = options.now ?? (() => new Date());
  }

  static async open(options: CertificateRegistryOptions): Promise<CertificateRegistry> {
    const registry = new CertificateRegistry(options);
    const text = await readFileIfExists(options.path).catch((error: unknown) => {
      throw new CertificateRegistryError(`cannot read the certificate registry ${options.path}`, {
        cause: error,
      });
    });
    if (text !== undefined) {
      let file: RegistryFile;
      try {
        file = JSON.parse(text) as RegistryFile;
        if (file.version !== 1 || !Array.isArray(file.certificates)) throw new Error('unknown layout');
      } catch (error) {
        throw new CertificateRegistryError(
          `${options.path} is not a certificate registry (${(error as Error).message}); move it away to start afresh (every certificate but the dev PKI's is then forgotten)`,
          { cause: error },
        );
      }
      for (const record of file.certificates) registry.records.set(record.certificateId, record);
    }
    return registry;
  }

  get(certificateId: string): CertificateRecord | undefined {
    return this.records.get(certificateId);
  }

  /** Every certificate attached to the thing. */
  certificatesOf(thingName: string): CertificateRecord[] {
    return [...this.records.values()].filter((record) => record.thingName === thingName);
  }

  /**
   * A dev-PKI certificate, ACTIVE and attached to its thing the first time it is seen. Seen again
   * (a restart), it is left as it is: a certificate deactivated by a rotation stays inactive.
   */
  async registerDevPki(thingName: string, certificatePem: string): Promise<CertificateRecord> {
    return this.registerOnce(certificatePem, { origin: 'dev-pki', thingName, requestedBy: null });
  }

  /** The claim certificate, ACTIVE; left as it is when already known (it may have been deactivated). */
  async registerClaim(certificatePem: string): Promise<CertificateRecord> {
    return this.registerOnce(certificatePem, { origin: 'claim', thingName: null, requestedBy: null });
  }

  /**
   * A certificate made by CreateCertificateFromCsr: PENDING (AWS's PENDING_ACTIVATION) and
   * attached to nothing, so it cannot connect until RegisterThing or a rotation report attaches
   * and activates it.
   */
  async registerIssued(
    certificatePem: string,
    requestedBy: CertificateRecord['requestedBy'],
  ): Promise<CertificateRecord> {
    const certificateId = certificateIdOfPem(certificatePem);
    if (this.records.has(certificateId)) {
      throw new CertificateRegistryError(`certificate ${certificateId} is already registered`);
    }
    this.dropExpiredPending();
    return this.put({
      certificateId,
      certificatePem,
      status: 'PENDING',
      thingName: null,
      origin: 'csr',
      requestedBy,
      createdAt: this.now().toISOString(),
      updatedAt: this.now().toISOString(),
    });
  }

  async attach(certificateId: string, thingName: string): Promise<CertificateRecord> {
    const record = this.require(certificateId);
    if (record.thingName === thingName) return record;
    if (record.thingName !== null) {
      throw new CertificateRegistryError(
        `certificate ${certificateId} is attached to ${record.thingName}; detach it first`,
      );
    }
    return this.put({ ...record, thingName, updatedAt: this.now().toISOString() });
  }

  /**
   * Attaches the certificate to the thing and makes it ACTIVE in one step. The registry changes
   * in memory at once, before the first await: a device that reconnects with the certificate
   * right after its request was acknowledged is admitted.
   */
  async attachActive(certificateId: string, thingName: string): Promise<CertificateRecord> {
    const record = this.require(certificateId);
    if (record.thingName !== null && record.thingName !== thingName) {
      throw new CertificateRegistryError(
        `certificate ${certificateId} is attached to ${record.thingName}; detach it first`,
      );
    }
    return this.put({ ...record, thingName, status: 'ACTIVE', updatedAt: this.now().toISOString() });
  }

  /**
   * Deactivates and detaches every certificate of the thing but `keep`, all in memory at once and
   * then in one write. Returns the ids retired.
   */
  async retireOthers(thingName: string, keep: string): Promise<string[]> {
    const at = this.now().toISOString();
    const retired = this.certificatesOf(thingName).filter((record) => record.certificateId !== keep);
    for (const record of retired) {
      this.records.set(record.certificateId, {
        ...record,
        status: 'INACTIVE',
        thingName: null,
        updatedAt: at,
      });
      this.log.info({ certificateId: record.certificateId, thingName }, 'certificate retired');
    }
    if (retired.length > 0) await this.save();
    return retired.map((record) => record.certificateId);
  }

  /** Deactivates and detaches: the certificate can never connect again (until reactivated). */
  async retire(certificateId: string): Promise<CertificateRecord> {
    const record = this.require(certificateId);
    return this.put({ ...record, status: 'INACTIVE', thingName: null, updatedAt: this.now().toISOString() });
  }

  async setStatus(certificateId: string, status: CertificateStatus): Promise<CertificateRecord> {
    const record = this.require(certificateId);
    return this.put({ ...record, status, updatedAt: this.now().toISOString() });
  }

  /** Resolves once every change made so far is on disk. */
  flushed(): Promise<void> {
    return this.saving;
  }

  admit(connection: ConnectingCertificate): ConnectionAdmission {
    const { certificateId, clientId, commonName } = connection;
    if (certificateId === undefined) return this.refuse('noCertificate', 'no client certificate');
    const record = this.records.get(certificateId) ?? this.adoptDevPki(certificateId, clientId);
    if (record === undefined) {
      return this.refuse('unregistered', `certificate ${short(certificateId)} is not registered`);
    }
    if (record.status !== 'ACTIVE') {
      return this.refuse('notActive', `certificate ${short(certificateId)} is ${record.status}`);
    }
    if (record.origin === 'claim') {
      if (!claimMayConnectAs(clientId)) {
        return this.refuse(
          'claimAsThing',
          `the claim certificate may not connect as a provisioned thing (${clientId})`,
        );
      }
      return { admitted: 'claim', grants: this.options.claimGrants };
    }
    if (record.thingName === null) {
      return this.refuse('notAttached', `certificate ${short(certificateId)} is attached to no thing`);
    }
    if (record.thingName !== clientId) {
      return this.refuse(
        'otherThing',
        `certificate ${short(certificateId)} is attached to ${record.thingName}, not to client id ${clientId}`,
      );
    }
    // Dev-PKI certificates also keep the rule the broker had before the registry: CN = client id.
    if (record.origin === 'dev-pki' && commonName !== clientId) {
      return this.refuse('otherThing', `client id ${clientId} is not the certificate's ${commonName}`);
    }
    return { admitted: 'thing' };
  }

  private dropExpiredPending(): void {
    const cutoff = this.now().getTime() - PENDING_CERTIFICATE_TTL_MS;
    for (const record of this.records.values()) {
      if (record.status !== 'PENDING' || record.thingName !== null) continue;
      if (Date.parse(record.createdAt) > cutoff) continue;
      this.records.delete(record.certificateId);
      this.log.info(
        {
          certificateId: record.certificateId,
          requestedBy: record.requestedBy?.clientId,
          createdAt: record.createdAt,
        },
        'certificate deleted: never attached within an hour of its issue',
      );
    }
  }

  private adoptDevPki(certificateId: string, clientId: string): CertificateRecord | undefined {
    const dir = this.options.devPkiDir;
    // The pattern also keeps the file name inside the directory.
    if (dir === undefined || !THING_NAME_PATTERN.test(clientId)) return undefined;
    let pem: string;
    try {
      pem = readFileSync(join(dir, `${clientId}.crt`), 'utf8');
      if (certificateIdOfPem(pem) !== certificateId) return undefined;
    } catch {
      return undefined;
    }
    const at = this.now().toISOString();
    const record: CertificateRecord = {
      certificateId,
      certificatePem: pem,
      status: 'ACTIVE',
      thingName: clientId,
      origin: 'dev-pki',
      requestedBy: null,
      createdAt: at,
      updatedAt: at,
    };
    // Admitted now; written in the background, a failed write logged (the next change retries it).
    this.put(record).catch((error: unknown) =>
      this.log.error(
        { err: error, certificateId },
        'cannot save a dev-PKI certificate registered at CONNECT',
      ),
    );
    return record;
  }

  private refuse(reason: keyof CertificateRefusals, words: string): ConnectionAdmission {
    this.refusals[reason] += 1;
    return { refused: words };
  }

  private async registerOnce(
    certificatePem: string,
    fields: Pick<CertificateRecord, 'origin' | 'thingName' | 'requestedBy'>,
  ): Promise<CertificateRecord> {
    const certificateId = certificateIdOfPem(certificatePem);
    const known = this.records.get(certificateId);
    if (known !== undefined) return known;
    const at = this.now().toISOString();
    return this.put({
      certificateId,
      certificatePem,
      status: 'ACTIVE',
      ...fields,
      createdAt: at,
      updatedAt: at,
    });
  }

  private require(certificateId: string): CertificateRecord {
    const record = this.records.get(certificateId);
    if (record === undefined) {
      throw new CertificateRegistryError(`certificate ${certificateId} is not registered`);
    }
    return record;
  }

  private async put(record: CertificateRecord): Promise<CertificateRecord> {
    this.records.set(record.certificateId, record);
    this.log.info(
      {
        certificateId: record.certificateId,
        status: record.status,
        thingName: record.thingName,
        origin: record.origin,
      },
      'certificate registry changed',
    );
    await this.save();
    return record;
  }

  private save(): Promise<void> {
    // One write at a time, each with everything changed so far; a failed write fails its callers
    // and does not block the next one.
    const next = this.saving
      .catch(() => undefined)
      .then(() => {
        const file: RegistryFile = { version: 1, certificates: [...this.records.values()] };
        return writeFileAtomically(this.options.path, `${JSON.stringify(file, null, 1)}\n`);
      });
    this.saving = next;
    return next.catch((error: unknown) => {
      throw new CertificateRegistryError(`cannot write the certificate registry ${this.options.path}`, {
        cause: error,
      });
    });
  }
}

/** Log-sized certificate ids: the first 12 hex digits, as the AWS console shows them. */
export function short(certificateId: string): string {
  return certificateId.slice(0, 12);
}
