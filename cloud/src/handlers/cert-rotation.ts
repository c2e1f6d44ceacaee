import { IoTClient } from '@aws-sdk/client-iot';
import { awsRotationIot } from '../cert-rotation/aws-rotation-iot.js';
import { readCertRotationConfig } from '../cert-rotation/cert-rotation-config.js';
import { CertificateReportError, parseCertificateReport } from '../cert-rotation/certificate-report.js';
import { handleCertificateReport, type RotationResult } from '../cert-rotation/rotate-certificate.js';
import { createCloudLogger } from '../logging/logger.js';

const logger = createCloudLogger('coffee-iot-cert-rotation');
// Checked when the container starts: a misconfigured deploy fails at once, naming every variable.
const config = readCertRotationConfig(process.env);
const iot = awsRotationIot(new IoTClient({}));

/**
 * The certificate topic rule's action: attaches a device's new certificate (`issued`) and retires
 * its old ones once the device connected with the new one (`connected`). A malformed or refused
 * report is logged as a warning with its reason and answered, not thrown: retrying it would refuse
 * it again. An IoT error is thrown so Lambda retries the event (each step is safe to repeat), and
 * an event that fails every retry lands in the function's dead-letter queue.
 */
export async function handler(
  event: unknown,
): Promise<RotationResult | { outcome: 'malformed'; reason: string }> {
  let report: ReturnType<typeof parseCertificateReport>;
  try {
    report = parseCertificateReport(event);
  } catch (error) {
    if (!(error instanceof CertificateReportError)) throw error;
    logger.warn({ outcome: 'malformed', problems: error.problems }, error.message);
    return { outcome: 'malformed', reason: error.message };
  }
  const result = await handleCertificateReport(report, iot, config.devicePolicyName);
  const fields = { ...result, phase: report.phase, principal: report.principal };
  if (result.outcome === 'refused') logger.warn(fields, `certificate report refused: ${result.reason}`);
  else logger.info(fields, `certificate ${result.outcome}`);
  return result;
}
