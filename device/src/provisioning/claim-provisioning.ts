import { certificateIdOf, keyMatchesCertificate } from '../certificates/certificate-id.js';
import { createKeyAndCsr } from '../certificates/csr.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MqttTransport } from '../transport/transport-port.js';
import {
  type IdentityWriterFs,
  type ProvisionedIdentity,
  removeStaleStaging,
  writeIdentity,
} from './identity-store.js';
import {
  createCertificateFromCsr,
  type ProvisioningChannel,
  ProvisioningRejectedError,
  registerThing,
} from './provisioning-api.js';

export interface ClaimProvisioningOptions {
  /** Connects with the CLAIM certificate and key, client id = serial number. */
  transport: MqttTransport;
  templateName: string;
  serialNumber: string;
  stateDir: string;
  requestTimeoutMs: number;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  signal?: AbortSignal;
  writerFs?: IdentityWriterFs;
}

/**
 * The fleet refused this device: RegisterThing (the pre-provisioning hook: serial not on the
 * allow-list, or already used) or CreateCertificateFromCsr (the claim certificate). Retrying
 * cannot help; an operator must allow the serial first.
 */
export class ProvisioningRefusedError extends Error {
  override readonly name = 'ProvisioningRefusedError';
}

/** The claim connection or a request failed in a way a later attempt may get past. */
export class ProvisioningFailedError extends Error {
  override readonly name = 'ProvisioningFailedError';
}

/**
 * First boot with a claim certificate: a key and CSR made here, CreateCertificateFromCsr, then
 * RegisterThing with `{ SerialNumber }`, and the resulting identity (key, certificate, thing name)
 * stored all or nothing. The key exists only in memory until that write: a crash anywhere before
 * it leaves nothing behind, and the next start provisions again from the beginning.
 */
export async function provisionByClaim(options: ClaimProvisioningOptions): Promise<ProvisionedIdentity> {
  const { transport, templateName, serialNumber, logger } = options;
  const stale = await removeStaleStaging(options.stateDir);
  if (stale.length > 0)
    logger.warn({ stale }, 'removed an identity a crash left half-written; provisioning again');

  logger.info({ serialNumber, templateName }, 'provisioning by claim');
  try {
    await transport.connect();
  } catch (error) {
    throw new ProvisioningFailedError(
      `could not connect with the claim certificate: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const channel: ProvisioningChannel = {
    subscribe: (filter, onMessage) => transport.subscribe(filter, onMessage),
    publish: (topic, payload) => transport.publish(topic, JSON.stringify(payload)),
  };
  const requestOptions = {
    timers: options.timers,
    timeoutMs: options.requestTimeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  try {
    const { privateKeyPem, csrPem } = await createKeyAndCsr(serialNumber);
    const issued = await createCertificateFromCsr(channel, csrPem, requestOptions);
    if (!keyMatchesCertificate(issued.certificatePem, privateKeyPem)) {
      throw new ProvisioningFailedError('CreateCertificateFromCsr returned a certificate for another key');
    }
    const registered = await registerThing(
      channel,
      templateName,
      {
        certificateOwnershipToken: issued.certificateOwnershipToken,
        parameters: { SerialNumber: serialNumber },
      },
      requestOptions,
    );
    const identity = await writeIdentity(
      options.stateDir,
      {
        thingName: registered.thingName,
        certificateId: certificateIdOf(issued.certificatePem),
        certificatePem: issued.certificatePem,
        privateKeyPem,
      },
      new Date(options.clock.now()),
      options.writerFs,
    );
    logger.info(
      { thingName: identity.thingName, certificateId: identity.certificateId, serialNumber },
      'provisioned by claim',
    );
    return identity;
  } catch (error) {
    if (error instanceof ProvisioningRejectedError) {
      throw new ProvisioningRefusedError(
        `provisioning refused for serial ${serialNumber}: ${error.message}. Add the serial to the fleet's allow-list, then start the agent again`,
        { cause: error },
      );
    }
    if (error instanceof ProvisioningFailedError) throw error;
    throw new ProvisioningFailedError(`provisioning by claim failed: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await transport.disconnect();
  }
}
