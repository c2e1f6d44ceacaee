import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Logger } from '@coffee-iot/device';
import {
  type DeviceTopicAction,
  type DeviceTopicGrants,
  deviceMay,
  deviceTopicGrants,
  THING_NAME_PATTERN,
} from '@coffee-iot/shared';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import { peerCertificateId } from '../provisioning/certificate-id.js';

/** Requests the thing policy refused since the broker started, by what was asked. */
export interface ThingPolicyRefusals {
  connect: number;
  publish: number;
  subscribe: number;
  receive: number;
}

/** What the broker knows of a connecting client's certificate. */
export interface ConnectingCertificate {
  /** SHA-256 of the certificate's DER (AWS IoT's certificate id); undefined without one. */
  readonly certificateId: string | undefined;
  readonly clientId: string;
  /** The certificate's CN. */
  readonly commonName: string | undefined;
}

/**
 * The answer of a certificate registry to one CONNECT: as the thing named by the client id (with
 * that thing's grants), with the given grants (a claim certificate), or refused, saying why.
 */
export type ConnectionAdmission =
  | { readonly admitted: 'thing' }
  | { readonly admitted: 'claim'; readonly grants: DeviceTopicGrants }
  | { readonly refused: string };

/** IoT Core's certificate registry as the broker consults it at every CONNECT. */
export interface CertificateGate {
  admit(connection: ConnectingCertificate): ConnectionAdmission;
}

/**
 * What the IoT policy enforces in AWS (infra/src/constructs/device-identity.ts), enforced by the
 * local broker from the same grants (`deviceTopicGrants` in shared):
 *
 * - connect: only with the certificate's CN (the thing name) as client id; with a certificate
 *   registry (CertificateGate), only with an ACTIVE certificate attached to the thing named by the
 *   client id, or with a claim certificate (provisioning topics only), as IoT Core does;
 * - publish: only to the thing's own topics; a refused PUBLISH drops the connection, as IoT Core
 *   does (MQTT 3.1.1 has no way to refuse one PUBLISH);
 * - subscribe: only with filters the grants allow; any other filter (`#`, `+/…`,
 *   `dt/coffee-iot/+/telemetry`, another thing's topic) gets SUBACK 0x80 and the connection stays;
 * - receive: a message is delivered only on a topic the grants allow, whatever the filter matched.
 *
 * Every TLS client is a device here: the local stack's own consumers (topic rule, dashboard
 * taps) listen in process on aedes events and never pass through these checks.
 */
export class ThingPolicy {
  private readonly counts: ThingPolicyRefusals = { connect: 0, publish: 0, subscribe: 0, receive: 0 };
  private readonly grants = new WeakMap<Client, DeviceTopicGrants>();
  private readonly log: Logger;

  constructor(
    private readonly topicPrefix: string,
    logger: Logger,
    private readonly certificates?: CertificateGate,
  ) {
    // Fail at start-up, not at the first CONNECT, on a prefix the grants cannot be built from.
    deviceTopicGrants(topicPrefix, 'probe');
    this.log = logger;
  }

  get refusals(): Readonly<ThingPolicyRefusals> {
    return { ...this.counts };
  }

  install(aedes: Aedes): void {
    aedes.authenticate = (client, _username, _password, done) => {
      const thingName = certificateThingName(client.conn);
      if (this.certificates !== undefined) return this.admit(client, thingName, done);
      if (thingName !== undefined && client.id === thingName && THING_NAME_PATTERN.test(thingName)) {
        this.grants.set(client, deviceTopicGrants(this.topicPrefix, thingName));
        return done(null, true);
      }
      this.counts.connect += 1;
      this.log.warn(
        { clientId: client.id, certificate: thingName },
        'refused: client id is not the thing name',
      );
      const error = Object.assign(new Error(`client id ${client.id} is not the certificate's ${thingName}`), {
        returnCode: 5, // not authorized
      });
      done(error, false);
    };
    aedes.authorizePublish = (client, packet, done) => {
      // No client: an in-process publisher of the local stack, not a device.
      if (client === null || this.allows(client, 'publish', packet.topic)) return done(null);
      this.refuse(client, 'publish', packet.topic);
      done(new Error(`${client.id} may not publish to ${packet.topic}`));
    };
    aedes.authorizeSubscribe = (client, subscription, done) => {
      if (this.allows(client, 'subscribe', subscription.topic)) return done(null, subscription);
      this.refuse(client, 'subscribe', subscription.topic);
      // A null subscription is SUBACK 0x80 for this filter; the other filters and the connection stay.
      done(null, null);
    };
    aedes.authorizeForward = (client, packet) => {
      if (this.allows(client, 'receive', packet.topic)) return packet;
      this.refuse(client, 'receive', packet.topic);
      return null;
    };
  }

  private admit(
    client: Client,
    commonName: string | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const certificateId = peerCertificateId(client.conn);
    const admission = this.certificates?.admit({ certificateId, clientId: client.id, commonName }) ?? {
      refused: 'no certificate registry',
    };
    if ('admitted' in admission && admission.admitted === 'claim') {
      this.grants.set(client, admission.grants);
      done(null, true);
      return;
    }
    if ('admitted' in admission && THING_NAME_PATTERN.test(client.id)) {
      this.grants.set(client, deviceTopicGrants(this.topicPrefix, client.id));
      done(null, true);
      return;
    }
    const reason = 'refused' in admission ? admission.refused : `client id ${client.id} is not a thing name`;
    this.counts.connect += 1;
    this.log.warn(
      { clientId: client.id, certificateId, certificate: commonName, reason, refused: this.counts.connect },
      'refused: CONNECT with a certificate the registry does not admit',
    );
    const error = Object.assign(new Error(`${client.id}: ${reason}`), {
      returnCode: 5, // not authorized
    }) as AuthenticateError;
    done(error, false);
  }

  private allows(client: Client, action: DeviceTopicAction, topicOrFilter: string): boolean {
    const grants = this.grants.get(client);
    return grants !== undefined && deviceMay(grants, action, topicOrFilter);
  }

  private refuse(client: Client, action: DeviceTopicAction, topicOrFilter: string): void {
    this.counts[action] += 1;
    const field = action === 'subscribe' ? 'filter' : 'topic';
    this.log.warn(
      { clientId: client.id, action, [field]: topicOrFilter, refused: this.counts[action] },
      `refused: ${action} outside the thing's topics`,
    );
  }
}

/** The client certificate's CN (the thing name); undefined before the handshake or without TLS. */
export function certificateThingName(conn: unknown): string | undefined {
  const socket = conn as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  // null once the socket is destroyed (a device killed mid-connection errors with ECONNRESET).
  const certificate = socket.getPeerCertificate() as PeerCertificate | null;
  const subject = certificate?.subject as { CN?: string } | undefined;
  return subject?.CN;
}
