import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CertificateReport } from '../../../cloud/src/cert-rotation/certificate-report.js';
import { handleCertificateReport } from '../../../cloud/src/cert-rotation/rotate-certificate.js';
import type { CertificateInfo, RotationIot } from '../../../cloud/src/cert-rotation/rotation-iot.js';

/** One IoT account for one test, with the few set-up calls rotation itself never makes. */
export interface RotationWorld {
  readonly iot: RotationIot;
  createThing(name: string): Promise<void>;
  createPolicy(name: string): Promise<void>;
  createCertificate(status: 'ACTIVE' | 'INACTIVE' | 'PENDING_ACTIVATION'): Promise<CertificateInfo>;
  cleanup(): Promise<void>;
}

const THING = 'coffee-pi-1';
const OTHER_THING = 'coffee-pi-2';
const DEVICE_POLICY = 'CoffeeIot-DevicePolicy';
const CLAIM_POLICY = 'CoffeeIot-ClaimPolicy';

/** Certificate rotation's behaviour, including the attacks, on one implementation of the IoT port. */
export function describeCertificateRotation(name: string, createWorld: () => Promise<RotationWorld>): void {
  describe(`certificate rotation on ${name}`, () => {
    let world: RotationWorld;
    let iot: RotationIot;
    /** The thing's certificate before rotation, and another thing's. */
    let old: CertificateInfo;
    let othersCertificate: CertificateInfo;

    const report = (
      phase: CertificateReport['phase'],
      certificateId: string,
      principal: string,
      thing = THING,
    ): CertificateReport => ({ thing, phase, certificateId, principal });
    const handle = (r: CertificateReport) => handleCertificateReport(r, iot, DEVICE_POLICY);
    /** Status, things and policies of a certificate, to compare before and after. */
    const stateOf = async (certificate: CertificateInfo) => ({
      status: (await iot.describeCertificate(certificate.certificateId))?.status,
      things: (await iot.thingsOf(certificate.certificateArn)).sort(),
      policies: (await iot.policiesOf(certificate.certificateArn)).sort(),
    });
    const provisioned = async (thing: string) => {
      const certificate = await world.createCertificate('ACTIVE');
      await iot.attachPolicy(DEVICE_POLICY, certificate.certificateArn);
      await iot.attachThing(thing, certificate.certificateArn);
      return certificate;
    };
    /** What CreateCertificateFromCsr leaves: PENDING_ACTIVATION, attached to nothing. */
    const issued = () => world.createCertificate('PENDING_ACTIVATION');

    beforeEach(async () => {
      world = await createWorld();
      iot = world.iot;
      await world.createThing(THING);
      await world.createThing(OTHER_THING);
      await world.createPolicy(DEVICE_POLICY);
      await world.createPolicy(CLAIM_POLICY);
      old = await provisioned(THING);
      othersCertificate = await provisioned(OTHER_THING);
    });

    afterEach(async () => {
      await world.cleanup();
    });

    it('issued: attaches the new certificate to the thing with the device policy and activates it, keeping the old one', async () => {
      const fresh = await issued();
      const result = await handle(report('issued', fresh.certificateId, old.certificateId));
      expect(result).toEqual({
        outcome: 'attached',
        thing: THING,
        certificateId: fresh.certificateId,
        changes: ['policy attached', 'thing attached', 'activated'],
      });
      expect(await stateOf(fresh)).toEqual({ status: 'ACTIVE', things: [THING], policies: [DEVICE_POLICY] });
      expect(await stateOf(old)).toEqual({ status: 'ACTIVE', things: [THING], policies: [DEVICE_POLICY] });
    });

    it('issued twice (a retried event) changes nothing the second time', async () => {
      const fresh = await issued();
      await handle(report('issued', fresh.certificateId, old.certificateId));
      expect(await handle(report('issued', fresh.certificateId, old.certificateId))).toMatchObject({
        outcome: 'attached',
        changes: [],
      });
    });

    it('attack: issued naming another thing’s certificate is refused and changes nothing', async () => {
      const before = await stateOf(othersCertificate);
      const result = await handle(report('issued', othersCertificate.certificateId, old.certificateId));
      expect(result).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('another thing (coffee-pi-2)'),
      });
      expect(await stateOf(othersCertificate)).toEqual(before);
      expect((await iot.principalsOf(THING)).sort()).toEqual([old.certificateArn]);
    });

    it('attack: issued naming another thing’s certificate still being rotated in is refused', async () => {
      const theirs = await issued();
      await iot.attachPolicy(DEVICE_POLICY, theirs.certificateArn);
      await iot.attachThing(OTHER_THING, theirs.certificateArn);
      const result = await handle(report('issued', theirs.certificateId, old.certificateId));
      expect(result).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('another thing (coffee-pi-2)'),
      });
      expect(await stateOf(theirs)).toEqual({
        status: 'PENDING_ACTIVATION',
        things: [OTHER_THING],
        policies: [DEVICE_POLICY],
      });
    });

    it('attack: issued naming the claim certificate (active, claim policy, no thing) is refused', async () => {
      const claim = await world.createCertificate('ACTIVE');
      await iot.attachPolicy(CLAIM_POLICY, claim.certificateArn);
      const result = await handle(report('issued', claim.certificateId, old.certificateId));
      expect(result.outcome).toBe('refused');
      expect(await stateOf(claim)).toEqual({ status: 'ACTIVE', things: [], policies: [CLAIM_POLICY] });
    });

    it('attack: issued naming a pending certificate that carries another policy is refused', async () => {
      const fresh = await issued();
      await iot.attachPolicy(CLAIM_POLICY, fresh.certificateArn);
      expect(await handle(report('issued', fresh.certificateId, old.certificateId))).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining(CLAIM_POLICY),
      });
      expect((await stateOf(fresh)).things).toEqual([]);
    });

    it('issued naming an unknown, an inactive or an active unattached certificate is refused', async () => {
      const unknown = 'e'.repeat(64);
      expect(await handle(report('issued', unknown, old.certificateId))).toMatchObject({
        outcome: 'refused',
        reason: `no certificate ${unknown} exists`,
      });
      const inactive = await world.createCertificate('INACTIVE');
      expect((await handle(report('issued', inactive.certificateId, old.certificateId))).outcome).toBe(
        'refused',
      );
      const loose = await world.createCertificate('ACTIVE');
      expect((await handle(report('issued', loose.certificateId, old.certificateId))).outcome).toBe(
        'refused',
      );
      expect(await stateOf(inactive)).toEqual({ status: 'INACTIVE', things: [], policies: [] });
      expect(await stateOf(loose)).toEqual({ status: 'ACTIVE', things: [], policies: [] });
    });

    it('connected with the new certificate: deactivates and detaches every other certificate of the thing', async () => {
      const second = await provisioned(THING);
      const fresh = await issued();
      await handle(report('issued', fresh.certificateId, old.certificateId));
      const result = await handle(report('connected', fresh.certificateId, fresh.certificateId));
      expect(result).toMatchObject({ outcome: 'retired', kept: [] });
      expect(result.outcome === 'retired' && [...result.retired].sort()).toEqual(
        [old.certificateId, second.certificateId].sort(),
      );
      expect(await stateOf(old)).toEqual({ status: 'INACTIVE', things: [], policies: [] });
      expect(await stateOf(second)).toEqual({ status: 'INACTIVE', things: [], policies: [] });
      expect(await stateOf(fresh)).toEqual({ status: 'ACTIVE', things: [THING], policies: [DEVICE_POLICY] });
      expect(await stateOf(othersCertificate)).toEqual({
        status: 'ACTIVE',
        things: [OTHER_THING],
        policies: [DEVICE_POLICY],
      });
    });

    it('attack: connected sent with the old certificate retires nothing', async () => {
      const fresh = await issued();
      await handle(report('issued', fresh.certificateId, old.certificateId));
      const result = await handle(report('connected', fresh.certificateId, old.certificateId));
      expect(result).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('sent with certificate'),
      });
      expect(await stateOf(old)).toEqual({ status: 'ACTIVE', things: [THING], policies: [DEVICE_POLICY] });
    });

    it('attack: connected naming a certificate of another thing retires nothing', async () => {
      const result = await handle(
        report('connected', othersCertificate.certificateId, othersCertificate.certificateId),
      );
      expect(result).toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('not attached to coffee-pi-1'),
      });
      expect(await stateOf(old)).toEqual({ status: 'ACTIVE', things: [THING], policies: [DEVICE_POLICY] });
      expect((await stateOf(othersCertificate)).status).toBe('ACTIVE');
    });

    it('connected keeps an old certificate that another thing shares, and says so', async () => {
      await iot.attachThing(OTHER_THING, old.certificateArn);
      const fresh = await issued();
      await handle(report('issued', fresh.certificateId, old.certificateId));
      const result = await handle(report('connected', fresh.certificateId, fresh.certificateId));
      expect(result).toMatchObject({
        outcome: 'retired',
        retired: [],
        kept: [{ principal: old.certificateArn, reason: `also attached to ${OTHER_THING}` }],
      });
      expect((await stateOf(old)).status).toBe('ACTIVE');
    });

    it('connected again after a partial run finishes the retirement', async () => {
      const fresh = await issued();
      await handle(report('issued', fresh.certificateId, old.certificateId));
      // As if the function died after deactivating and detaching the policy.
      await iot.setStatus(old.certificateId, 'INACTIVE');
      await iot.detachPolicy(DEVICE_POLICY, old.certificateArn);
      const result = await handle(report('connected', fresh.certificateId, fresh.certificateId));
      expect(result).toMatchObject({ outcome: 'retired', retired: [old.certificateId] });
      expect(await stateOf(old)).toEqual({ status: 'INACTIVE', things: [], policies: [] });
    });
  });
}
