import { isIP } from 'node:net';
import { type CheckResult, describeError, errorCode, fail, ok } from '../check-result.js';
import type { DnsLookup, DoctorFs, TlsConnector } from '../doctor-ports.js';
import type { CertificatePaths } from './certificate.js';

export interface EndpointTarget extends CertificatePaths {
  endpoint: string;
  port: number;
}

const CHECK_ENDPOINT =
  'set endpoint to the output of aws iot describe-endpoint --endpoint-type iot:Data-ATS (or the broker host)';

/** The endpoint resolves (the TLS handshake check follows only when it does). */
export async function checkEndpointDns(lookup: DnsLookup, endpoint: string): Promise<CheckResult> {
  if (isIP(endpoint)) return ok('endpoint DNS', `${endpoint} is an address`);
  try {
    const { address } = await lookup(endpoint);
    return ok('endpoint DNS', `${endpoint} resolves to ${address}`);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOTFOUND')
      return fail('endpoint DNS', `${endpoint} does not resolve (ENOTFOUND)`, CHECK_ENDPOINT);
    return fail(
      'endpoint DNS',
      `cannot resolve ${endpoint}: ${code ?? describeError(error)}`,
      'check the network and the DNS servers in /etc/resolv.conf',
    );
  }
}

/** What a failed handshake means and what to do, by the error Node and OpenSSL give. */
function explain(error: unknown, target: EndpointTarget): { detail: string; fix: string } {
  const code = errorCode(error) ?? '';
  const message = describeError(error);
  const where = `${target.endpoint}:${target.port}`;
  if (code === 'ECONNREFUSED') {
    return { detail: `nothing listens on ${where}`, fix: 'check port (8883 for AWS IoT) and the broker' };
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return {
      detail: `cannot reach ${where} (${code})`,
      fix: `check the network and that outbound TCP ${target.port} is allowed`,
    };
  }
  if (/alert/i.test(message) || /alert/i.test(code)) {
    return {
      detail: `${where} rejected the client certificate (${code || message})`,
      fix: `register and activate ${target.cert} in AWS IoT (or have it signed by the broker's CA)`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      detail: `the server's certificate is not valid now (${code})`,
      fix: 'check the clock (see the clock check)',
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { detail: `the server's certificate does not name ${target.endpoint}`, fix: CHECK_ENDPOINT };
  }
  if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED/.test(code)) {
    return {
      detail: `the server's certificate is not signed by ${target.rootCa} (${code})`,
      fix: 'set rootCa to Amazon Root CA 1 for AWS IoT (or the CA that signed the broker certificate)',
    };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /closed/i.test(message)) {
    return {
      detail: `${where} closed the connection during or right after the handshake (${code || message}): did it reject ${target.cert}?`,
      fix: `register and activate ${target.cert} in AWS IoT (or have it signed by the broker's CA)`,
    };
  }
  return {
    detail: `handshake with ${where} failed: ${code ? `${code}: ` : ''}${message}`,
    fix: CHECK_ENDPOINT,
  };
}

/** A TLS handshake with the client certificate, ended without sending anything. */
export async function checkTlsHandshake(
  fs: DoctorFs,
  connect: TlsConnector,
  target: EndpointTarget,
): Promise<CheckResult> {
  let files: Buffer[];
  try {
    files = await Promise.all([
      fs.readFile(target.cert),
      fs.readFile(target.key),
      fs.readFile(target.rootCa),
    ]);
  } catch (error) {
    return fail('TLS handshake', `not tried: ${describeError(error)}`, 'see the certificate check');
  }
  const [cert, key, ca] = files as [Buffer, Buffer, Buffer];
  try {
    const { protocol } = await connect({ host: target.endpoint, port: target.port, cert, key, ca });
    return ok(
      'TLS handshake',
      `${protocol} with the client certificate to ${target.endpoint}:${target.port}`,
    );
  } catch (error) {
    const { detail, fix } = explain(error, target);
    return fail('TLS handshake', detail, fix);
  }
}
