import { THING_NAME_PATTERN } from '@coffee-iot/shared';

/**
 * What a device publishes on `{prefix}/{thing}/certificate` while it rotates its certificate, as
 * the topic rule hands it to the rotation Lambda (`SELECT *, topic(n) AS thing, principal() AS
 * principal`):
 * - `issued`: CreateCertificateFromCsr answered with `certificateId`; the device still runs on
 *   its old certificate and asks for the new one to be attached to it.
 * - `connected`: the device reconnected with `certificateId`; every other certificate may go.
 * The agent (device/src/certificates/rotation-report.ts) also sends `previousCertificateId`, which
 * is not trusted: `connected` retires every other certificate of the thing. `thing` and
 * `principal` are IoT Core's: the topic the policy let the connection publish on, and the
 * certificate that connection authenticated with; an optional `deviceId` must match the topic.
 */
export { CERTIFICATE_REPORT_KIND } from '@coffee-iot/shared';
export const CERTIFICATE_PHASES = ['issued', 'connected'] as const;
export type CertificatePhase = (typeof CERTIFICATE_PHASES)[number];

export interface CertificateReport {
  readonly thing: string;
  readonly phase: CertificatePhase;
  /** The certificate the report is about: the new one. */
  readonly certificateId: string;
  /** The certificate the report was sent with. */
  readonly principal: string;
}

/** IoT certificate ids: the SHA-256 of the certificate, 64 lower-case hex digits. */
export const CERTIFICATE_ID_PATTERN = /^[0-9a-f]{64}$/;

export class CertificateReportError extends Error {
  override readonly name = 'CertificateReportError';
  constructor(readonly problems: readonly string[]) {
    super(`certificate report is invalid: ${problems.join('; ')}`);
  }
}

/** Checks the rule's event, naming every problem at once. */
export function parseCertificateReport(event: unknown): CertificateReport {
  const problems: string[] = [];
  const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const { thing, phase, certificateId, principal, deviceId } = record;
  if (typeof thing !== 'string' || !THING_NAME_PATTERN.test(thing))
    problems.push('thing (from the topic) is missing or invalid');
  // Optional (the agent's reports carry none); when given, it must not contradict the topic.
  if (deviceId !== undefined && deviceId !== thing) problems.push('deviceId is not the topic’s thing');
  if (typeof phase !== 'string' || !(CERTIFICATE_PHASES as readonly string[]).includes(phase)) {
    problems.push(`phase must be one of ${CERTIFICATE_PHASES.join(', ')}`);
  }
  if (typeof certificateId !== 'string' || !CERTIFICATE_ID_PATTERN.test(certificateId)) {
    problems.push('certificateId must be 64 lower-case hex digits');
  }
  if (typeof principal !== 'string' || !CERTIFICATE_ID_PATTERN.test(principal)) {
    problems.push('principal (the certificate the report was sent with) is missing or not a certificate id');
  }
  if (problems.length > 0) throw new CertificateReportError(problems);
  return {
    thing: thing as string,
    phase: phase as CertificatePhase,
    certificateId: certificateId as string,
    principal: principal as string,
  };
}
