import type { CreateCertificateFromCsrAccepted } from '@coffee-iot/shared';
import type { Client } from 'aedes';
import type { CertificateAuthority } from '../pki/pki.js';
import { peerCertificateId } from './certificate-id.js';
import type { CertificateRegistry } from './certificate-registry.js';
import { InvalidCsrError, signCertificateRequest } from './csr-signing.js';
import type { OwnershipTokens } from './ownership-tokens.js';
import { ProvisioningRefusal, requestObject } from './provisioning-answers.js';

export interface CreateCertificateDeps {
  readonly ca: CertificateAuthority;
  readonly registry: CertificateRegistry;
  readonly tokens: OwnershipTokens;
  readonly now: () => Date;
}

/**
 * CreateCertificateFromCsr: signs the device's request with the dev CA and registers the new
 * certificate PENDING (AWS's PENDING_ACTIVATION) and attached to nothing, remembering which
 * connection asked. It connects only once RegisterThing or a rotation report attaches and
 * activates it. Throws ProvisioningRefusal for a request to answer on `rejected`.
 */
export async function createCertificateFromCsr(
  deps: CreateCertificateDeps,
  client: Client,
  payload: Buffer,
): Promise<CreateCertificateFromCsrAccepted> {
  const request = requestObject(payload);
  let certificatePem: string;
  try {
    certificatePem = signCertificateRequest(deps.ca, request.certificateSigningRequest as string, deps.now());
  } catch (error) {
    if (error instanceof InvalidCsrError) throw new ProvisioningRefusal(400, 'InvalidCsr', error.message);
    throw error;
  }
  const requester = peerCertificateId(client.conn);
  const record = await deps.registry.registerIssued(certificatePem, {
    clientId: client.id,
    certificateId: requester ?? '',
  });
  return {
    certificateId: record.certificateId,
    certificatePem,
    certificateOwnershipToken: deps.tokens.issue(record.certificateId, client),
  };
}
