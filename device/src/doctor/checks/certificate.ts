import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { type CheckResult, describeError, errorCode, fail, ok, warn } from '../check-result.js';
import type { DoctorFs } from '../doctor-ports.js';

const DAY_MS = 86_400_000;
export const EXPIRY_WARNING_DAYS = 30;

export interface CertificatePaths {
  cert: string;
  key: string;
  rootCa: string;
}

const RENEW =
  'issue a new device certificate (coffee-iot provision, or aws iot create-keys-and-certificate), ' +
  'attach it to the thing and install it';

async function read(fs: DoctorFs, what: string, path: string): Promise<Buffer | CheckResult> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    const code = errorCode(error);
    return fail(
      'certificate',
      `cannot read ${what} ${path}: ${code ?? describeError(error)}`,
      code === 'ENOENT'
        ? `put the ${what} at ${path}, or fix the path in agent.json`
        : `run doctor as the agent's user (sudo -u coffee-iot coffee-iot-agent doctor); the ${what} must be readable by it`,
    );
  }
}

const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });

/** Certificate, key and CA readable and parseable; the key matches the certificate; not expired. */
export async function checkCertificate(
  fs: DoctorFs,
  paths: CertificatePaths,
  nowMs: number,
): Promise<CheckResult> {
  const certPem = await read(fs, 'certificate', paths.cert);
  if (!Buffer.isBuffer(certPem)) return certPem;
  const keyPem = await read(fs, 'private key', paths.key);
  if (!Buffer.isBuffer(keyPem)) return keyPem;
  const caPem = await read(fs, 'CA', paths.rootCa);
  if (!Buffer.isBuffer(caPem)) return caPem;

  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (error) {
    return fail('certificate', `${paths.cert} is not a PEM certificate: ${describeError(error)}`, RENEW);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    return fail('certificate', `${paths.key} is not a PEM private key: ${describeError(error)}`, RENEW);
  }
  try {
    new X509Certificate(caPem);
  } catch (error) {
    return fail(
      'certificate',
      `${paths.rootCa} is not a PEM CA certificate: ${describeError(error)}`,
      'download Amazon Root CA 1 (https://www.amazontrust.com/repository/AmazonRootCA1.pem) to rootCa',
    );
  }
  if (!spki(createPublicKey(key)).equals(spki(cert.publicKey))) {
    return fail(
      'certificate',
      `the private key ${paths.key} does not belong to the certificate ${paths.cert}`,
      'install the key that was created with this certificate (or a new pair)',
    );
  }
  const validFrom = Date.parse(cert.validFrom);
  const validTo = Date.parse(cert.validTo);
  const subject = cert.subject.replace(/\n/g, ', ');
  if (nowMs < validFrom) {
    return fail(
      'certificate',
      `${subject} is not valid until ${new Date(validFrom).toISOString()}`,
      'check the clock (see the clock check): a Pi boots with a stale time until NTP syncs',
    );
  }
  const daysLeft = Math.floor((validTo - nowMs) / DAY_MS);
  const until = new Date(validTo).toISOString().slice(0, 10);
  if (nowMs >= validTo) return fail('certificate', `${subject} expired on ${until}`, RENEW);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    return warn('certificate', `${subject} expires on ${until} (${daysLeft} days left)`, RENEW);
  }
  return ok('certificate', `${subject}, key matches, expires ${until} (${daysLeft} days left)`);
}
