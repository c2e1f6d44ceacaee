import {
  CREATE_CERTIFICATE_FROM_CSR_TOPICS,
  type CreateCertificateFromCsrAccepted,
  type ProvisioningErrorResponse,
  type RegisterThingAccepted,
  type RegisterThingRequest,
  registerThingTopics,
} from '@coffee-iot/shared';
import type { Timers } from '../ports/clock.js';
import type { InboundMessageHandler } from '../transport/transport-port.js';

/** What a provisioning request needs of a connection: the agent's ConnectionContext or the claim connection. */
export interface ProvisioningChannel {
  subscribe(filter: string, onMessage: InboundMessageHandler): Promise<void>;
  publish(topic: string, payload: unknown): Promise<void>;
}

export interface ProvisioningRequestOptions {
  timers: Timers;
  /** How long to wait for the answer after the request's PUBACK. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** IoT Core answered on `…/rejected`: the request was refused (the reason is AWS's own). */
export class ProvisioningRejectedError extends Error {
  override readonly name = 'ProvisioningRejectedError';
  constructor(
    readonly api: 'CreateCertificateFromCsr' | 'RegisterThing',
    readonly response: ProvisioningErrorResponse,
  ) {
    super(
      `${api} rejected: ${response.errorCode ?? 'unknown error'} (${response.statusCode ?? '?'}): ${response.errorMessage ?? 'no message'}`,
    );
  }
}

/** No answer came in time: the connection may have dropped, or the policy does not allow the topics. */
export class ProvisioningTimeoutError extends Error {
  override readonly name = 'ProvisioningTimeoutError';
}

/** An answer that is not the documented shape. */
export class ProvisioningResponseError extends Error {
  override readonly name = 'ProvisioningResponseError';
}

interface Topics {
  readonly request: string;
  readonly accepted: string;
  readonly rejected: string;
}

/**
 * One request/answer exchange of the provisioning MQTT API. Both answer topics are subscribed
 * BEFORE the request is published: IoT Core answers only once, on the connection that asked, and
 * an answer that arrives before the SUBACK would be lost.
 */
async function exchange(
  channel: ProvisioningChannel,
  api: ProvisioningRejectedError['api'],
  topics: Topics,
  payload: unknown,
  options: ProvisioningRequestOptions,
): Promise<unknown> {
  let settle: { resolve: (body: unknown) => void; reject: (error: Error) => void } | undefined;
  const answer = new Promise<unknown>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const decode = (bytes: Uint8Array): unknown => {
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch (error) {
      return new ProvisioningResponseError(`${api}: the answer is not JSON`, { cause: error });
    }
  };
  await channel.subscribe(topics.accepted, (message) => {
    const body = decode(message.payload);
    if (body instanceof Error) settle?.reject(body);
    else settle?.resolve(body);
  });
  await channel.subscribe(topics.rejected, (message) => {
    const body = decode(message.payload);
    settle?.reject(
      body instanceof Error ? body : new ProvisioningRejectedError(api, body as ProvisioningErrorResponse),
    );
  });
  const { timers, timeoutMs, signal } = options;
  signal?.throwIfAborted();
  let timer: ReturnType<Timers['setTimeout']> | undefined;
  const onAbort = () =>
    settle?.reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await channel.publish(topics.request, payload);
    timer = timers.setTimeout(
      () => settle?.reject(new ProvisioningTimeoutError(`${api}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    return await answer;
  } finally {
    if (timer) timers.clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    settle = undefined;
  }
}

/** CreateCertificateFromCsr: a certificate for the key whose CSR this is; the key stays here. */
export async function createCertificateFromCsr(
  channel: ProvisioningChannel,
  csrPem: string,
  options: ProvisioningRequestOptions,
): Promise<CreateCertificateFromCsrAccepted> {
  const body = await exchange(
    channel,
    'CreateCertificateFromCsr',
    CREATE_CERTIFICATE_FROM_CSR_TOPICS,
    { certificateSigningRequest: csrPem },
    options,
  );
  const accepted = body as Partial<CreateCertificateFromCsrAccepted>;
  if (
    typeof accepted.certificateId !== 'string' ||
    typeof accepted.certificatePem !== 'string' ||
    typeof accepted.certificateOwnershipToken !== 'string'
  ) {
    throw new ProvisioningResponseError(
      'CreateCertificateFromCsr: the accepted answer lacks certificateId, certificatePem or certificateOwnershipToken',
    );
  }
  return accepted as CreateCertificateFromCsrAccepted;
}

/** RegisterThing: the template creates (or finds) the thing and attaches the certificate to it. */
export async function registerThing(
  channel: ProvisioningChannel,
  templateName: string,
  request: RegisterThingRequest,
  options: ProvisioningRequestOptions,
): Promise<RegisterThingAccepted> {
  const body = await exchange(channel, 'RegisterThing', registerThingTopics(templateName), request, options);
  const accepted = body as Partial<RegisterThingAccepted>;
  if (typeof accepted.thingName !== 'string' || accepted.thingName === '') {
    throw new ProvisioningResponseError('RegisterThing: the accepted answer names no thingName');
  }
  return { thingName: accepted.thingName, deviceConfiguration: accepted.deviceConfiguration ?? {} };
}
