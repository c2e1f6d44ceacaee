import type { CertificateReport } from './certificate-report.js';
import { certificateIdOfArn, type RotationIot } from './rotation-iot.js';

export type RotationResult =
  | {
      readonly outcome: 'attached';
      readonly thing: string;
      readonly certificateId: string;
      /** What this call changed; empty when a retry found everything done. */
      readonly changes: readonly string[];
    }
  | {
      readonly outcome: 'retired';
      readonly thing: string;
      readonly certificateId: string;
      /** The thing's other certificates, now inactive and detached. */
      readonly retired: readonly string[];
      /** Principals of the thing left alone, each with the reason. */
      readonly kept: readonly { readonly principal: string; readonly reason: string }[];
    }
  | {
      readonly outcome: 'refused';
      readonly thing: string;
      readonly certificateId: string;
      readonly reason: string;
    };

/**
 * Acts on one certificate report (certificate-report.ts). Refusals are answers, not errors: they
 * are logged and counted by the handler. Errors from IoT (throttling, a network failure) are
 * thrown, for Lambda to retry the event: every step below can run again after a partial run.
 */
export async function handleCertificateReport(
  report: CertificateReport,
  iot: RotationIot,
  devicePolicyName: string,
): Promise<RotationResult> {
  return report.phase === 'issued'
    ? attachIssued(report, iot, devicePolicyName)
    : retireOthers(report, iot, devicePolicyName);
}

/**
 * `issued`: attach the new certificate to the reporting thing, with the device policy, and
 * activate it (CreateCertificateFromCsr leaves it PENDING_ACTIVATION; IoT deletes it after an hour
 * unless it is activated or attached). Only a certificate nobody else holds: no other thing, no
 * other policy (the claim certificate has the claim policy), and active only if this very call
 * attached it before (activation is the last step).
 */
async function attachIssued(
  report: CertificateReport,
  iot: RotationIot,
  devicePolicyName: string,
): Promise<RotationResult> {
  const { thing, certificateId } = report;
  const refuse = (reason: string): RotationResult => ({ outcome: 'refused', thing, certificateId, reason });

  const certificate = await iot.describeCertificate(certificateId);
  if (certificate === null) return refuse(`no certificate ${certificateId} exists`);
  const { certificateArn, status } = certificate;
  if (status !== 'PENDING_ACTIVATION' && status !== 'ACTIVE') {
    return refuse(`certificate ${certificateId} is ${status}, not a newly issued one`);
  }
  const things = await iot.thingsOf(certificateArn);
  const others = things.filter((name) => name !== thing);
  if (others.length > 0)
    return refuse(`certificate ${certificateId} belongs to another thing (${others.join(', ')})`);
  if (status === 'ACTIVE' && !things.includes(thing)) {
    return refuse(
      `certificate ${certificateId} is already active and attached to no thing: not one issued to ${thing}`,
    );
  }
  const policies = await iot.policiesOf(certificateArn);
  const foreign = policies.filter((name) => name !== devicePolicyName);
  if (foreign.length > 0) {
    return refuse(`certificate ${certificateId} has other policies attached (${foreign.join(', ')})`);
  }

  // Policy, thing, then activation: a retry after a partial run finds the earlier steps done.
  const changes: string[] = [];
  if (!policies.includes(devicePolicyName)) {
    await iot.attachPolicy(devicePolicyName, certificateArn);
    changes.push('policy attached');
  }
  if (!things.includes(thing)) {
    await iot.attachThing(thing, certificateArn);
    changes.push('thing attached');
  }
  if (status !== 'ACTIVE') {
    await iot.setStatus(certificateId, 'ACTIVE');
    changes.push('activated');
  }
  return { outcome: 'attached', thing, certificateId, changes };
}

/**
 * `connected`: the report came over a connection made with the new certificate (IoT Core's
 * principal(), not the payload's word), so the old ones may go: each is deactivated, loses the
 * device policy and is detached from the thing, in that order (a retry still finds a half-retired
 * one on the thing). A certificate also attached to another thing is left alone and reported.
 */
async function retireOthers(
  report: CertificateReport,
  iot: RotationIot,
  devicePolicyName: string,
): Promise<RotationResult> {
  const { thing, certificateId, principal } = report;
  const refuse = (reason: string): RotationResult => ({ outcome: 'refused', thing, certificateId, reason });

  if (principal !== certificateId) {
    return refuse(
      `the report was sent with certificate ${principal}, not with ${certificateId}: only a connection made with the new certificate retires the others`,
    );
  }
  const certificate = await iot.describeCertificate(certificateId);
  if (certificate === null) return refuse(`no certificate ${certificateId} exists`);
  if (certificate.status !== 'ACTIVE')
    return refuse(`certificate ${certificateId} is ${certificate.status}, not ACTIVE`);
  if (!(await iot.thingsOf(certificate.certificateArn)).includes(thing)) {
    return refuse(`certificate ${certificateId} is not attached to ${thing}`);
  }

  const retired: string[] = [];
  const kept: { principal: string; reason: string }[] = [];
  for (const arn of await iot.principalsOf(thing)) {
    const id = certificateIdOfArn(arn);
    if (id === certificateId) continue;
    if (id === null) {
      kept.push({ principal: arn, reason: 'not a certificate' });
      continue;
    }
    const shared = (await iot.thingsOf(arn)).filter((name) => name !== thing);
    if (shared.length > 0) {
      kept.push({ principal: arn, reason: `also attached to ${shared.join(', ')}` });
      continue;
    }
    await iot.setStatus(id, 'INACTIVE');
    if ((await iot.policiesOf(arn)).includes(devicePolicyName)) await iot.detachPolicy(devicePolicyName, arn);
    await iot.detachThing(thing, arn);
    retired.push(id);
  }
  return { outcome: 'retired', thing, certificateId, retired, kept };
}
