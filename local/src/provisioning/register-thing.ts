import {
  type DeviceRepository,
  decidePreProvisioning,
  type PreProvisioningDecision,
  provisionedThingName,
  type SerialAllowList,
} from '@coffee-iot/cloud';
import type { RegisterThingAccepted } from '@coffee-iot/shared';
import type { Client } from 'aedes';
import { peerCertificateId } from './certificate-id.js';
import type { CertificateRegistry } from './certificate-registry.js';
import type { OwnershipTokens } from './ownership-tokens.js';
import { ProvisioningRefusal, requestObject } from './provisioning-answers.js';

export interface RegisterThingDeps {
  readonly registry: CertificateRegistry;
  readonly tokens: OwnershipTokens;
  readonly allowList: SerialAllowList;
  readonly devices: Pick<DeviceRepository, 'getDevice' | 'setDevice'>;
  readonly templateName: string;
  /** The template's DeviceConfiguration, handed to every provisioned device. */
  readonly deviceConfiguration: Readonly<Record<string, string>>;
  readonly now: () => Date;
  /** Called with every hook decision, allowed or not, for the log and the counters. */
  readonly onDecision: (decision: PreProvisioningDecision) => void;
}

/**
 * RegisterThing with the template: the ownership token must come from the connection that
 * received the certificate; the pre-provisioning hook's decision (the same function as the
 * Lambda's) claims the serial on the allow-list; then the thing `coffee-pi-{serial}` is created
 * in the registry database and the certificate attached to it and activated, in that order.
 */
export async function registerThing(
  deps: RegisterThingDeps,
  client: Client,
  payload: Buffer,
): Promise<RegisterThingAccepted> {
  const request = requestObject(payload);
  const token = deps.tokens.check(request.certificateOwnershipToken, client);
  if ('problem' in token)
    throw new ProvisioningRefusal(400, 'InvalidCertificateOwnershipToken', token.problem);
  const parameters = stringParameters(request.parameters);
  const record = deps.registry.get(token.certificateId);
  if (record === undefined || record.status === 'INACTIVE') {
    throw new ProvisioningRefusal(
      400,
      'InvalidCertificate',
      'the certificate of this token is no longer usable',
    );
  }
  const decision = await decidePreProvisioning(
    {
      claimCertificateId: peerCertificateId(client.conn) ?? '',
      certificateId: record.certificateId,
      certificatePem: record.certificatePem,
      templateArn: `arn:aws:iot:local:000000000000:provisioningtemplate/${deps.templateName}`,
      clientId: client.id,
      parameters,
    },
    deps.allowList,
    { now: deps.now },
  );
  deps.onDecision(decision);
  if (!decision.response.allowProvisioning || decision.serial === undefined) {
    // IoT Core tells the device only that the hook refused; the reason is in the stack's log.
    throw new ProvisioningRefusal(403, 'AccessDenied', 'the pre-provisioning hook refused this request');
  }
  const thingName = provisionedThingName(decision.serial);
  // A row the operator made beforehand (owner, location) is kept as it is.
  if ((await deps.devices.getDevice(thingName)) === null) {
    await deps.devices.setDevice(thingName, { model: null }, deps.now());
  }
  await deps.registry.attachActive(record.certificateId, thingName);
  deps.tokens.consume(request.certificateOwnershipToken as string);
  return { deviceConfiguration: { ...deps.deviceConfiguration }, thingName };
}

function stringParameters(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProvisioningRefusal(400, 'InvalidPayload', 'parameters must be an object of strings');
  }
  const entries = Object.entries(value);
  if (entries.some(([, v]) => typeof v !== 'string')) {
    throw new ProvisioningRefusal(400, 'InvalidPayload', 'parameters must be an object of strings');
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
