import { TopicError } from '../errors.js';

/**
 * The fleet provisioning MQTT API (AWS IoT Developer Guide, "Device provisioning MQTT API"): a
 * device with a claim certificate, or a provisioned device rotating its own, sends a CSR to
 * `CreateCertificateFromCsr`, then (first boot only) registers itself with `RegisterThing`.
 * IoT Core answers each request only on the connection that made it.
 */
export const CREATE_CERTIFICATE_FROM_CSR_TOPICS = {
  request: '$aws/certificates/create-from-csr/json',
  accepted: '$aws/certificates/create-from-csr/json/accepted',
  rejected: '$aws/certificates/create-from-csr/json/rejected',
  /** For a policy: the request and both answers. */
  all: '$aws/certificates/create-from-csr/json*',
} as const;

/** Provisioning template names: 1–36 of letters, digits, underscore, hyphen. */
const TEMPLATE_NAME_PATTERN = /^[0-9A-Za-z_-]{1,36}$/;

export interface RegisterThingTopics {
  readonly request: string;
  readonly accepted: string;
  readonly rejected: string;
  readonly all: string;
}

export function registerThingTopics(templateName: string): RegisterThingTopics {
  if (!TEMPLATE_NAME_PATTERN.test(templateName)) {
    throw new TopicError(`provisioning template name "${templateName}" must match ${TEMPLATE_NAME_PATTERN}`);
  }
  const base = `$aws/provisioning-templates/${templateName}/provision/json`;
  return { request: base, accepted: `${base}/accepted`, rejected: `${base}/rejected`, all: `${base}*` };
}

export interface CreateCertificateFromCsrRequest {
  /** PEM PKCS#10 request; the private key never leaves the device. */
  certificateSigningRequest: string;
}

export interface CreateCertificateFromCsrAccepted {
  certificateId: string;
  certificatePem: string;
  /** Proves to RegisterThing that this connection received the certificate; expires in 1 hour. */
  certificateOwnershipToken: string;
}

export interface RegisterThingRequest {
  certificateOwnershipToken: string;
  parameters: Record<string, string>;
}

export interface RegisterThingAccepted {
  deviceConfiguration: Record<string, string>;
  thingName: string;
}

/** The `rejected` answers of the provisioning API. */
export interface ProvisioningErrorResponse {
  statusCode: number;
  errorCode: string;
  errorMessage: string;
}

/**
 * The pre-provisioning hook's input (AWS IoT Developer Guide, "Pre-provisioning hooks"): the
 * Lambda answers `{ allowProvisioning, parameterOverrides? }` within 5 seconds.
 */
export interface PreProvisioningHookEvent {
  claimCertificateId: string;
  certificateId: string;
  certificatePem: string;
  templateArn: string;
  clientId: string;
  parameters: Record<string, string>;
}

export interface PreProvisioningHookResponse {
  allowProvisioning: boolean;
  parameterOverrides?: Record<string, string>;
}
