import type { PreProvisioningDecision } from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import {
  CREATE_CERTIFICATE_FROM_CSR_TOPICS,
  registerThingTopics,
  THING_NAME_PATTERN,
} from '@coffee-iot/shared';
import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import { short } from './certificate-registry.js';
import { answerClient } from './client-answer.js';
import { type CreateCertificateDeps, createCertificateFromCsr } from './create-certificate.js';
import { OwnershipTokens } from './ownership-tokens.js';
import { ProvisioningRefusal } from './provisioning-answers.js';
import { type RegisterThingDeps, registerThing } from './register-thing.js';
import { CERTIFICATE_REPORT_KIND, handleRotationReport, type RotationOutcome } from './rotation-reports.js';

export interface ProvisioningServiceOptions
  extends Omit<CreateCertificateDeps, 'tokens' | 'now'>,
    Omit<RegisterThingDeps, 'tokens' | 'now' | 'onDecision' | 'registry'> {
  readonly topicPrefix: string;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface ProvisioningCounters {
  certificatesIssued: number;
  certificatesRefused: number;
  thingsRegistered: number;
  registrationsRefused: number;
  /** Hook refusals by outcome (not-listed, already-used, malformed-serial, …). */
  hookRefusals: Record<string, number>;
  rotationsAttached: number;
  rotationsRetired: number;
  rotationReportsRefused: number;
  /** Answers that reached nobody: the asker was not subscribed, gone, or the write failed. */
  answersUndelivered: number;
  /** Requests that failed on our side (registry or database), answered 500. */
  failures: number;
}

/**
 * The fleet provisioning MQTT API and the rotation reports on the embedded broker: it listens to
 * what devices publish (aedes 'publish', after the thing policy allowed it) and answers each
 * request only to the connection that made it (client-answer.ts).
 */
export class ProvisioningService {
  readonly counters: ProvisioningCounters = {
    certificatesIssued: 0,
    certificatesRefused: 0,
    thingsRegistered: 0,
    registrationsRefused: 0,
    hookRefusals: {},
    rotationsAttached: 0,
    rotationsRetired: 0,
    rotationReportsRefused: 0,
    answersUndelivered: 0,
    failures: 0,
  };
  private readonly log: Logger;
  private readonly tokens: OwnershipTokens;
  private readonly now: () => Date;
  private readonly registerTopics: ReturnType<typeof registerThingTopics>;
  private readonly inFlight = new Set<Promise<void>>();
  private aedes: Aedes | undefined;

  constructor(private readonly options: ProvisioningServiceOptions) {
    this.log = options.logger.child({ component: 'provisioning' });
    this.now = options.now ?? (() => new Date());
    this.tokens = new OwnershipTokens(() => this.now().getTime());
    this.registerTopics = registerThingTopics(options.templateName);
  }

  start(aedes: Aedes): void {
    this.aedes = aedes;
    aedes.on('publish', this.onPublish);
    aedes.on('clientDisconnect', this.onDisconnect);
  }

  /** Stops listening and waits for the requests being answered. */
  async stop(): Promise<void> {
    this.aedes?.off('publish', this.onPublish);
    this.aedes?.off('clientDisconnect', this.onDisconnect);
    this.aedes = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private readonly onDisconnect = (client: Client): void => this.tokens.forget(client);

  private readonly onPublish = (packet: AedesPublishPacket, client: Client | null): void => {
    // No client: the stack's own in-process publishers, never a request.
    if (client === null) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (packet.topic === CREATE_CERTIFICATE_FROM_CSR_TOPICS.request) {
      this.track(this.onCreateCertificate(client, payload));
    } else if (packet.topic === this.registerTopics.request) {
      this.track(this.onRegisterThing(client, payload));
    } else {
      const thing = this.reportThing(packet.topic);
      if (thing !== null) this.track(this.onRotationReport(thing, client, payload));
    }
  };

  private reportThing(topic: string): string | null {
    const prefix = `${this.options.topicPrefix}/`;
    if (!topic.startsWith(prefix) || !topic.endsWith(`/${CERTIFICATE_REPORT_KIND}`)) return null;
    const thing = topic.slice(prefix.length, -CERTIFICATE_REPORT_KIND.length - 1);
    return THING_NAME_PATTERN.test(thing) ? thing : null;
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) =>
      this.log.error({ err: error }, 'provisioning request failed'),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async onCreateCertificate(client: Client, payload: Buffer): Promise<void> {
    const topics = CREATE_CERTIFICATE_FROM_CSR_TOPICS;
    try {
      const accepted = await createCertificateFromCsr(
        { ca: this.options.ca, registry: this.options.registry, tokens: this.tokens, now: this.now },
        client,
        payload,
      );
      this.counters.certificatesIssued += 1;
      this.log.info(
        { clientId: client.id, certificateId: accepted.certificateId },
        'CreateCertificateFromCsr: certificate issued (PENDING until attached)',
      );
      await this.answer(client, topics.accepted, accepted);
    } catch (error) {
      this.counters.certificatesRefused += 1;
      await this.answer(client, topics.rejected, this.refusal(error, client, 'CreateCertificateFromCsr'));
    }
  }

  private async onRegisterThing(client: Client, payload: Buffer): Promise<void> {
    const topics = this.registerTopics;
    try {
      const accepted = await registerThing(
        {
          registry: this.options.registry,
          tokens: this.tokens,
          allowList: this.options.allowList,
          devices: this.options.devices,
          templateName: this.options.templateName,
          deviceConfiguration: this.options.deviceConfiguration,
          now: this.now,
          onDecision: (decision) => this.onDecision(client, decision),
        },
        client,
        payload,
      );
      this.counters.thingsRegistered += 1;
      this.log.info(
        { clientId: client.id, thingName: accepted.thingName },
        'RegisterThing: thing provisioned',
      );
      await this.answer(client, topics.accepted, accepted);
    } catch (error) {
      this.counters.registrationsRefused += 1;
      await this.answer(client, topics.rejected, this.refusal(error, client, 'RegisterThing'));
    }
  }

  private onDecision(client: Client, decision: PreProvisioningDecision): void {
    if (decision.response.allowProvisioning) return;
    this.counters.hookRefusals[decision.outcome] = (this.counters.hookRefusals[decision.outcome] ?? 0) + 1;
    this.log.warn(
      { clientId: client.id, serial: decision.serial, outcome: decision.outcome, reason: decision.reason },
      'RegisterThing refused by the pre-provisioning hook',
    );
  }

  private async onRotationReport(thing: string, client: Client, payload: Buffer): Promise<void> {
    let outcome: RotationOutcome;
    try {
      outcome = await handleRotationReport(this.options.registry, thing, client, payload);
    } catch (error) {
      this.counters.failures += 1;
      this.log.error({ err: error, thing }, 'certificate rotation report failed');
      return;
    }
    const topic = `${this.options.topicPrefix}/${thing}/${CERTIFICATE_REPORT_KIND}`;
    if (outcome.outcome === 'refused') {
      this.counters.rotationReportsRefused += 1;
      this.log.warn(
        { thing, clientId: client.id, certificateId: outcome.certificateId, reason: outcome.reason },
        'certificate rotation report refused',
      );
      await this.answer(
        client,
        `${topic}/rejected`,
        { certificateId: outcome.certificateId, reason: outcome.reason },
        false,
      );
      return;
    }
    if (outcome.outcome === 'attached') this.counters.rotationsAttached += 1;
    else this.counters.rotationsRetired += 1;
    this.log.info(
      {
        thing,
        certificateId: outcome.certificateId,
        ...(outcome.outcome === 'retired' ? { retired: outcome.retired.map(short) } : {}),
      },
      outcome.outcome === 'attached'
        ? 'rotation: new certificate attached and active'
        : 'rotation: new certificate connected; the others are inactive and detached',
    );
    await this.answer(client, `${topic}/accepted`, outcome, false);
  }

  private refusal(error: unknown, client: Client, api: string) {
    if (error instanceof ProvisioningRefusal) {
      this.log.warn(
        { clientId: client.id, errorCode: error.errorCode, reason: error.message },
        `${api} rejected`,
      );
      return error.toResponse();
    }
    this.counters.failures += 1;
    this.log.error({ err: error, clientId: client.id }, `${api} failed`);
    return {
      statusCode: 500,
      errorCode: 'InternalFailure',
      errorMessage: `${api} failed on the broker; retry later`,
    };
  }

  /** `required`: the device asked and waits for this answer; a rotation answer is a courtesy. */
  private async answer(client: Client, topic: string, body: unknown, required = true): Promise<void> {
    const undelivered = await answerClient(client, topic, body);
    if (undelivered === null) return;
    if (!required && undelivered === 'not-subscribed') return;
    this.counters.answersUndelivered += 1;
    this.log.warn({ clientId: client.id, topic, undelivered }, 'answer reached nobody');
  }
}
