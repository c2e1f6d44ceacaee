import { createHash, randomBytes } from 'node:crypto';
import type { CertificateInfo, CertificateStatus, RotationIot } from './rotation-iot.js';

/** What IoT answers for a missing thing, certificate or attachment. */
export class MemoryIotNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/**
 * The rotation port in memory, answering as IoT does (a detach of something not attached is
 * ResourceNotFoundException, attaching twice is no change), for tests and the local stack.
 */
export class MemoryRotationIot implements RotationIot {
  private readonly certificates = new Map<string, { arn: string; status: CertificateStatus }>();
  private readonly things = new Set<string>();
  private readonly policies = new Set<string>();
  private readonly thingAttachments = new Set<string>();
  private readonly policyAttachments = new Set<string>();
  /** Every call that changed something, in order: tests assert what did not happen. */
  readonly changes: string[] = [];

  constructor(private readonly arnPrefix = 'arn:aws:iot:eu-west-1:123456789012') {}

  createThing(name: string): void {
    this.things.add(name);
  }

  createPolicy(name: string): void {
    this.policies.add(name);
  }

  /** A new certificate with the given status; its id is a SHA-256 like IoT's. */
  createCertificate(status: CertificateStatus): CertificateInfo {
    const certificateId = createHash('sha256').update(randomBytes(32)).digest('hex');
    const certificateArn = `${this.arnPrefix}:cert/${certificateId}`;
    this.certificates.set(certificateId, { arn: certificateArn, status });
    return { certificateId, certificateArn, status };
  }

  async describeCertificate(certificateId: string): Promise<CertificateInfo | null> {
    const found = this.certificates.get(certificateId);
    return found === undefined ? null : { certificateId, certificateArn: found.arn, status: found.status };
  }

  async thingsOf(certificateArn: string): Promise<string[]> {
    return [...this.thingAttachments].flatMap((key) => {
      const [arn, thing] = key.split('|');
      return arn === certificateArn && thing !== undefined ? [thing] : [];
    });
  }

  async policiesOf(certificateArn: string): Promise<string[]> {
    return [...this.policyAttachments].flatMap((key) => {
      const [arn, policy] = key.split('|');
      return arn === certificateArn && policy !== undefined ? [policy] : [];
    });
  }

  async principalsOf(thing: string): Promise<string[]> {
    if (!this.things.has(thing)) throw new MemoryIotNotFoundError(`thing ${thing} does not exist`);
    return [...this.thingAttachments].flatMap((key) => {
      const [arn, name] = key.split('|');
      return name === thing && arn !== undefined ? [arn] : [];
    });
  }

  async attachPolicy(policyName: string, certificateArn: string): Promise<void> {
    this.requireCertificate(certificateArn);
    if (!this.policies.has(policyName))
      throw new MemoryIotNotFoundError(`policy ${policyName} does not exist`);
    this.policyAttachments.add(`${certificateArn}|${policyName}`);
    this.changes.push(`attachPolicy ${policyName} ${certificateArn}`);
  }

  async attachThing(thing: string, certificateArn: string): Promise<void> {
    this.requireCertificate(certificateArn);
    if (!this.things.has(thing)) throw new MemoryIotNotFoundError(`thing ${thing} does not exist`);
    this.thingAttachments.add(`${certificateArn}|${thing}`);
    this.changes.push(`attachThing ${thing} ${certificateArn}`);
  }

  async setStatus(certificateId: string, status: 'ACTIVE' | 'INACTIVE'): Promise<void> {
    const found = this.certificates.get(certificateId);
    if (found === undefined) throw new MemoryIotNotFoundError(`certificate ${certificateId} does not exist`);
    found.status = status;
    this.changes.push(`setStatus ${certificateId} ${status}`);
  }

  async detachThing(thing: string, certificateArn: string): Promise<void> {
    if (!this.thingAttachments.delete(`${certificateArn}|${thing}`)) {
      throw new MemoryIotNotFoundError(`${certificateArn} is not attached to ${thing}`);
    }
    this.changes.push(`detachThing ${thing} ${certificateArn}`);
  }

  async detachPolicy(policyName: string, certificateArn: string): Promise<void> {
    if (!this.policyAttachments.delete(`${certificateArn}|${policyName}`)) {
      throw new MemoryIotNotFoundError(`${policyName} is not attached to ${certificateArn}`);
    }
    this.changes.push(`detachPolicy ${policyName} ${certificateArn}`);
  }

  private requireCertificate(certificateArn: string): void {
    const known = [...this.certificates.values()].some((c) => c.arn === certificateArn);
    if (!known) throw new MemoryIotNotFoundError(`certificate ${certificateArn} does not exist`);
  }
}
