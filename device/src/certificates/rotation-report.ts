/**
 * What the device reports about a rotation, on `{topicPrefix}/{thingName}/certificate` (inside the
 * thing's own `{prefix}/{thing}/*` grant). The cloud side (an IoT rule with `principal()`, or the
 * local stack) acts on it:
 * - `issued` (sent with the OLD certificate): attach `certificateId` to the thing and its policy.
 * - `connected` (sent with the NEW certificate, so `principal()` proves it works): deactivate and
 *   detach `previousCertificateId`. Never earlier: until then the device may still fall back to it.
 */
export type CertificateReport =
  | {
      readonly phase: 'issued';
      readonly certificateId: string;
      readonly previousCertificateId?: string;
    }
  | {
      readonly phase: 'connected';
      readonly certificateId: string;
      readonly previousCertificateId?: string;
    };

/** The last level of the report topic. */
export const CERTIFICATE_REPORT_KIND = 'certificate';

export function certificateReportTopic(topicPrefix: string, thingName: string): string {
  return `${topicPrefix}/${thingName}/${CERTIFICATE_REPORT_KIND}`;
}
