import { errorMessageOf } from '../../credentials/credential-response.js';
import { credentialsUrl } from '../../credentials/https-credential-fetcher.js';
import { type CheckResult, describeError, fail, ok } from '../check-result.js';
import type { DoctorPorts } from '../doctor-ports.js';

export interface CredentialCheckTarget {
  endpoint: string;
  roleAlias: string;
  thingName: string;
  cert: string;
  key: string;
  rootCa: string;
}

const TIMEOUT_MS = 10_000;

/** The AWS IoT credential provider hands out credentials for the device certificate. */
export async function checkCredentialProvider(
  fetch: DoctorPorts['fetchCredentials'],
  target: CredentialCheckTarget,
): Promise<CheckResult> {
  const name = 'credential provider';
  const url = credentialsUrl(target.endpoint, target.roleAlias);
  let status: number;
  let body: string;
  try {
    ({ status, body } = await fetch({
      endpoint: target.endpoint,
      roleAlias: target.roleAlias,
      thingName: target.thingName,
      certPath: target.cert,
      keyPath: target.key,
      caPath: target.rootCa,
      timeoutMs: TIMEOUT_MS,
    }));
  } catch (error) {
    return fail(
      name,
      describeError(error),
      'see the detail; the TLS handshake check tests the same certificate',
    );
  }
  if (status === 200) return ok(name, `HTTP 200 from ${url.host}${url.pathname}`);
  const said = errorMessageOf(body);
  const fixes: Record<number, string> = {
    400: 'check credentials.endpoint is the iot:CredentialProvider endpoint',
    403: `the certificate's policy must allow iot:AssumeRoleWithCertificate on role alias ${target.roleAlias}, and thing ${target.thingName} must be attached to the certificate`,
    404: `role alias ${target.roleAlias} does not exist in this account and region: check credentials.roleAlias`,
  };
  return fail(
    name,
    `HTTP ${status} from ${url.host}${url.pathname}${said ? `: ${said}` : ''}`,
    fixes[status] ?? 'retry later; check the AWS IoT service health',
  );
}
