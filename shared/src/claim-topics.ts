import { CREATE_CERTIFICATE_FROM_CSR_TOPICS, registerThingTopics } from './aws-iot/provisioning.js';
import type { DeviceTopicGrants } from './device-topics.js';

/** The thing a provisioned serial becomes (`coffee-pi-{SerialNumber}`); the template builds the same name. */
export const PROVISIONED_THING_PREFIX = 'coffee-pi-';

/**
 * Whether a claim certificate may connect with this client id. Never as a provisioned thing: IoT
 * Core drops the older of two connections with one client id, so anyone holding the SD-card image's
 * claim certificate could otherwise knock a provisioned Pi offline by connecting under its name.
 */
export function claimMayConnectAs(clientId: string): boolean {
  return !clientId.startsWith(PROVISIONED_THING_PREFIX);
}

/** The provisioning template a claim certificate registers things with, unless configured. */
export const DEFAULT_PROVISIONING_TEMPLATE = 'coffee-iot-fleet';

/**
 * What a CLAIM certificate may do over MQTT, written once like deviceTopicGrants: the claim
 * policy in infra and the local broker both build from this. A claim certificate is shared by
 * every SD-card image, so it gets only the two provisioning requests (CreateCertificateFromCsr
 * and RegisterThing with one template) and their answers: no telemetry, no shadow, no jobs.
 * IoT Core answers each request on the connection that asked, so the answer grants do not let
 * one claim holder read another's certificate.
 */
export function claimTopicGrants(templateName: string): DeviceTopicGrants {
  const csr = CREATE_CERTIFICATE_FROM_CSR_TOPICS;
  // registerThingTopics refuses a template name that would widen these patterns.
  const register = registerThingTopics(templateName);
  const answers = [`${csr.request}/*`, `${register.request}/*`];
  return {
    publish: [csr.request, register.request],
    subscribe: [...answers],
    receive: [...answers],
  };
}
