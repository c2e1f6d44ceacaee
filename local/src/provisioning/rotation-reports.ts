import type { Client } from 'aedes';
import { CERTIFICATE_ID_PATTERN, peerCertificateId } from './certificate-id.js';
import { type CertificateRegistry, short } from './certificate-registry.js';
import { requestObject } from './provisioning-answers.js';

export { CERTIFICATE_REPORT_KIND } from '@coffee-iot/shared';

export type RotationOutcome =
  | { readonly outcome: 'attached'; readonly certificateId: string }
  | { readonly outcome: 'retired'; readonly certificateId: string; readonly retired: readonly string[] }
  | { readonly outcome: 'refused'; readonly certificateId: string | null; readonly reason: string };

/**
 * A device's rotation report (`{phase, certificateId}` on `{prefix}/{thing}/certificate`), acted on
 * as the cloud's rotation handler does in AWS, with the connection's own certificate standing in
 * for IoT Core's `principal()`:
 * - `issued`, sent with the current certificate: the new certificate, made by
 *   CreateCertificateFromCsr on a connection of this very thing, is attached to it and activated.
 * - `connected`, sent over a connection made WITH the new certificate: every other certificate of
 *   the thing is deactivated and detached. Never earlier: until then the device may fall back.
 * Refusals are outcomes, logged and counted by the caller; nothing is changed for them.
 */
export async function handleRotationReport(
  registry: CertificateRegistry,
  thing: string,
  client: Client,
  payload: Buffer,
): Promise<RotationOutcome> {
  let report: Record<string, unknown>;
  try {
    report = requestObject(payload);
  } catch (error) {
    return { outcome: 'refused', certificateId: null, reason: (error as Error).message };
  }
  const { phase, certificateId, deviceId } = report;
  if (typeof certificateId !== 'string' || !CERTIFICATE_ID_PATTERN.test(certificateId)) {
    return {
      outcome: 'refused',
      certificateId: null,
      reason: 'certificateId must be 64 lower-case hex digits',
    };
  }
  const refuse = (reason: string): RotationOutcome => ({ outcome: 'refused', certificateId, reason });
  if (deviceId !== undefined && deviceId !== thing)
    return refuse(`deviceId ${String(deviceId)} is not ${thing}`);
  const principal = peerCertificateId(client.conn);
  if (phase === 'issued') return attachIssued(registry, thing, certificateId, refuse);
  if (phase === 'connected') return retireOthers(registry, thing, certificateId, principal, refuse);
  return refuse(`phase must be "issued" or "connected", not ${JSON.stringify(phase)}`);
}

async function attachIssued(
  registry: CertificateRegistry,
  thing: string,
  certificateId: string,
  refuse: (reason: string) => RotationOutcome,
): Promise<RotationOutcome> {
  const record = registry.get(certificateId);
  if (record === undefined) return refuse(`no certificate ${short(certificateId)} exists`);
  if (record.thingName !== null && record.thingName !== thing) {
    return refuse(`certificate ${short(certificateId)} belongs to another thing (${record.thingName})`);
  }
  if (record.origin !== 'csr') {
    return refuse(`certificate ${short(certificateId)} was not made by CreateCertificateFromCsr`);
  }
  if (record.requestedBy?.clientId !== thing) {
    return refuse(`certificate ${short(certificateId)} was requested by another connection, not by ${thing}`);
  }
  if (record.status === 'INACTIVE') return refuse(`certificate ${short(certificateId)} is INACTIVE`);
  // In memory before the first await: the device reconnects with it as soon as it has the PUBACK.
  await registry.attachActive(certificateId, thing);
  return { outcome: 'attached', certificateId };
}

async function retireOthers(
  registry: CertificateRegistry,
  thing: string,
  certificateId: string,
  principal: string | undefined,
  refuse: (reason: string) => RotationOutcome,
): Promise<RotationOutcome> {
  if (principal !== certificateId) {
    return refuse(
      `the report was sent with certificate ${principal ? short(principal) : 'none'}, not with ${short(certificateId)}: only a connection made with the new certificate retires the others`,
    );
  }
  const record = registry.get(certificateId);
  if (record?.status !== 'ACTIVE' || record.thingName !== thing) {
    return refuse(`certificate ${short(certificateId)} is not an ACTIVE certificate of ${thing}`);
  }
  const retired = await registry.retireOthers(thing, certificateId);
  return { outcome: 'retired', certificateId, retired };
}
