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

// The topic is a wire contract, shared with the local stack and the cloud's rule.
export { CERTIFICATE_REPORT_KIND, certificateReportTopic } from '@coffee-iot/shared';
