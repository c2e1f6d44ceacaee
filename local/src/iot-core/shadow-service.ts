import { type Clock, type Logger, systemClock } from '@coffee-iot/device';
import {
  CONFIG_SHADOW_NAME,
  SHADOW_TOPIC_PATTERN,
  type ShadowDelta,
  type ShadowDocument,
  type ShadowErrorResponse,
  type ShadowUpdateAccepted,
  type ShadowUpdateRequest,
  type ShadowValues,
  shadowTopics,
} from '@coffee-iot/shared';
import type { InProcessMqtt } from './in-process-mqtt.js';
import { KeyedQueue } from './keyed-queue.js';
import { parseTokenOnly, parseUpdateRequest } from './shadow-request.js';
import {
  deltaOf,
  mergeSection,
  metadataOfDelta,
  metadataOfPatch,
  type StoredShadow,
} from './shadow-state.js';
import { ShadowStore } from './shadow-store.js';

export interface ShadowServiceOptions {
  mqtt: InProcessMqtt;
  /** Where the documents live (the stack uses `{dataDir}/iot-core/shadows`). */
  directory: string;
  logger: Logger;
  clock?: Clock;
}

/** `update/documents`: the document before and after an accepted update. */
export interface ShadowUpdateDocuments {
  previous?: { state: StoredShadow['state']; metadata: StoredShadow['metadata']; version: number };
  current: { state: StoredShadow['state']; metadata: StoredShadow['metadata']; version: number };
  timestamp: number;
  clientToken?: string;
}

export type ShadowUpdateOutcome =
  | { ok: true; accepted: ShadowUpdateAccepted; document: ShadowDocument }
  | { ok: false; error: ShadowErrorResponse };

export interface ShadowServiceCounters {
  requests: number;
  accepted: number;
  rejected: number;
  deltas: number;
  /** Requests that failed before any answer could be published (logged with the error). */
  unanswered: number;
}

export class ShadowUpdateRejectedError extends Error {
  override readonly name = 'ShadowUpdateRejectedError';
  constructor(readonly response: ShadowErrorResponse) {
    super(`shadow update rejected (${response.code}): ${response.message}`);
  }
}

/** Requests arrive on these; answers go to the topics below them. */
const REQUEST_FILTERS = ['get', 'update', 'delete'].map((op) => `$aws/things/+/shadow/name/+/${op}`);

/**
 * The Device Shadow service's MQTT API for named shadows, on the embedded broker: get, update
 * (with update/accepted, update/delta when desired differs from reported, update/documents) and
 * delete, answering in the shapes AWS documents, one request at a time per shadow. Each accepted
 * update is on disk before it is answered, so a restarted stack keeps every document.
 *
 * update/delta is published after an update that names `desired` and leaves a difference; it
 * carries the whole difference (not only the keys of that update), so a device that missed one
 * delta catches up with the next.
 */
export class ShadowService {
  readonly counters: ShadowServiceCounters = {
    requests: 0,
    accepted: 0,
    rejected: 0,
    deltas: 0,
    unanswered: 0,
  };
  private readonly store: ShadowStore;
  private readonly queue = new KeyedQueue();
  private readonly clock: Clock;
  private readonly log: Logger;
  private unsubscribes: (() => Promise<void>)[] = [];

  constructor(private readonly options: ShadowServiceOptions) {
    this.store = new ShadowStore(options.directory);
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'shadow-service' });
  }

  async start(): Promise<void> {
    for (const filter of REQUEST_FILTERS) {
      this.unsubscribes.push(
        await this.options.mqtt.subscribe(filter, (topic, payload) => this.onRequest(topic, payload)),
      );
    }
  }

  /** Stops taking requests and waits for the ones under way to be written and answered. */
  async stop(): Promise<void> {
    const unsubscribes = this.unsubscribes;
    this.unsubscribes = [];
    await Promise.all(unsubscribes.map((unsubscribe) => unsubscribe()));
    await this.queue.idle();
  }

  /** The whole document as get/accepted would answer it, or null when the shadow does not exist. */
  getDocument(thing: string, shadowName: string = CONFIG_SHADOW_NAME): Promise<ShadowDocument | null> {
    return this.queue.run(`${thing}/${shadowName}`, async () => {
      const stored = await this.store.load(thing, shadowName);
      return stored === undefined ? null : documentOf(stored, undefined, this.seconds());
    });
  }

  /**
   * Sets desired values (null deletes one) as UpdateThingShadow does: the device hears about it
   * on update/delta. Throws ShadowUpdateRejectedError when the service refuses the update.
   */
  async setDesired(
    thing: string,
    values: ShadowValues,
    shadowName: string = CONFIG_SHADOW_NAME,
  ): Promise<ShadowDocument> {
    // The same checks as a request over MQTT, so the HTTP API cannot store what a device could not.
    const parsed = parseUpdateRequest(Buffer.from(JSON.stringify({ state: { desired: values } })));
    if (!parsed.ok) throw new ShadowUpdateRejectedError({ ...parsed.error, timestamp: this.seconds() });
    const outcome = await this.update(thing, shadowName, parsed.request);
    if (!outcome.ok) throw new ShadowUpdateRejectedError(outcome.error);
    return outcome.document;
  }

  /** One update, answered on the shadow's topics as if it had arrived over MQTT. */
  update(thing: string, shadowName: string, request: ShadowUpdateRequest): Promise<ShadowUpdateOutcome> {
    this.counters.requests += 1;
    return this.queue.run(`${thing}/${shadowName}`, () => this.applyUpdate(thing, shadowName, request));
  }

  private onRequest(topic: string, payload: Buffer): void {
    const match = SHADOW_TOPIC_PATTERN.exec(topic);
    // Answers (…/accepted, …/rejected) are ours; only bare requests are handled.
    if (!match || match[4] !== undefined) return;
    const [, thing = '', shadowName = '', operation] = match;
    const key = `${thing}/${shadowName}`;
    let work: Promise<unknown>;
    if (operation === 'update') {
      const parsed = parseUpdateRequest(payload);
      if (parsed.ok) {
        work = this.update(thing, shadowName, parsed.request);
      } else {
        this.counters.requests += 1;
        work = this.queue.run(key, () => this.reject(thing, shadowName, 'update', parsed.error));
      }
    } else {
      this.counters.requests += 1;
      const parsed = parseTokenOnly(payload);
      work = this.queue.run<unknown>(key, () =>
        !parsed.ok
          ? this.reject(thing, shadowName, operation === 'get' ? 'get' : 'delete', parsed.error)
          : operation === 'get'
            ? this.answerGet(thing, shadowName, parsed.clientToken)
            : this.answerDelete(thing, shadowName, parsed.clientToken),
      );
    }
    work.catch((error: unknown) => {
      this.counters.unanswered += 1;
      this.log.error(
        { err: error, thing, shadowName, topic, unanswered: this.counters.unanswered },
        'shadow request failed and was not answered',
      );
    });
  }

  private async applyUpdate(
    thing: string,
    shadowName: string,
    request: ShadowUpdateRequest,
  ): Promise<ShadowUpdateOutcome> {
    const topics = shadowTopics(thing, shadowName);
    const token = request.clientToken === undefined ? {} : { clientToken: request.clientToken };
    let previous: StoredShadow | undefined;
    try {
      previous = await this.store.load(thing, shadowName);
    } catch (error) {
      return this.failInternally(thing, shadowName, error, token);
    }
    const currentVersion = previous?.version ?? 0;
    if (request.version !== undefined && request.version !== currentVersion) {
      return this.reject(thing, shadowName, 'update', { code: 409, message: 'Version conflict', ...token });
    }
    const timestamp = this.seconds();
    const next = merged(previous, request, timestamp);
    try {
      await this.store.save(thing, shadowName, next);
    } catch (error) {
      return this.failInternally(thing, shadowName, error, token);
    }
    this.counters.accepted += 1;
    const accepted: ShadowUpdateAccepted = {
      state: request.state,
      metadata: {
        ...(request.state.desired == null
          ? {}
          : { desired: metadataOfPatch(request.state.desired, timestamp) }),
        ...(request.state.reported == null
          ? {}
          : { reported: metadataOfPatch(request.state.reported, timestamp) }),
      },
      version: next.version,
      timestamp,
      ...token,
    };
    await this.options.mqtt.publish(topics.updateAccepted, accepted);
    const delta = deltaOf(next.state.desired, next.state.reported);
    if (request.state.desired !== undefined && delta !== undefined) {
      this.counters.deltas += 1;
      const message: ShadowDelta = {
        state: delta,
        metadata: metadataOfDelta(delta, next.metadata.desired),
        version: next.version,
        timestamp,
        ...token,
      };
      await this.options.mqtt.publish(topics.updateDelta, message);
    }
    const documents: ShadowUpdateDocuments = {
      ...(previous === undefined
        ? {}
        : { previous: { state: previous.state, metadata: previous.metadata, version: previous.version } }),
      current: { state: next.state, metadata: next.metadata, version: next.version },
      timestamp,
      ...token,
    };
    await this.options.mqtt.publish(topics.updateDocuments, documents);
    this.log.debug(
      { thing, shadowName, version: next.version, delta: delta !== undefined },
      'shadow updated',
    );
    return { ok: true, accepted, document: documentOf(next, request.clientToken, timestamp) };
  }

  private async answerGet(thing: string, shadowName: string, clientToken: string | undefined): Promise<void> {
    const token = clientToken === undefined ? {} : { clientToken };
    let stored: StoredShadow | undefined;
    try {
      stored = await this.store.load(thing, shadowName);
    } catch (error) {
      await this.failInternally(thing, shadowName, error, token, 'get');
      return;
    }
    if (stored === undefined) {
      await this.reject(thing, shadowName, 'get', {
        code: 404,
        message: `No shadow exists with name: '${thing}~${shadowName}'`,
        ...token,
      });
      return;
    }
    this.counters.accepted += 1;
    await this.options.mqtt.publish(
      shadowTopics(thing, shadowName).getAccepted,
      documentOf(stored, clientToken, this.seconds()),
    );
  }

  private async answerDelete(
    thing: string,
    shadowName: string,
    clientToken: string | undefined,
  ): Promise<void> {
    const token = clientToken === undefined ? {} : { clientToken };
    const stored = await this.store.load(thing, shadowName);
    if (stored === undefined) {
      await this.reject(thing, shadowName, 'delete', {
        code: 404,
        message: `No shadow exists with name: '${thing}~${shadowName}'`,
        ...token,
      });
      return;
    }
    await this.store.remove(thing, shadowName);
    this.counters.accepted += 1;
    await this.options.mqtt.publish(`${shadowTopics(thing, shadowName).delete}/accepted`, {
      version: stored.version,
      timestamp: this.seconds(),
      ...token,
    });
  }

  private async failInternally(
    thing: string,
    shadowName: string,
    error: unknown,
    token: { clientToken?: string },
    operation: 'get' | 'update' = 'update',
  ): Promise<ShadowUpdateOutcome> {
    this.log.error(
      { err: error, thing, shadowName, operation },
      'shadow document could not be read or written',
    );
    return this.reject(thing, shadowName, operation, {
      code: 500,
      message: 'Internal service failure',
      ...token,
    });
  }

  private async reject(
    thing: string,
    shadowName: string,
    operation: 'get' | 'update' | 'delete',
    error: Omit<ShadowErrorResponse, 'timestamp'>,
  ): Promise<ShadowUpdateOutcome & { ok: false }> {
    this.counters.rejected += 1;
    const response: ShadowErrorResponse = { ...error, timestamp: this.seconds() };
    this.log.info(
      { thing, shadowName, operation, code: error.code, reason: error.message },
      'shadow request rejected',
    );
    const base = shadowTopics(thing, shadowName);
    const topic =
      operation === 'get'
        ? base.getRejected
        : operation === 'update'
          ? base.updateRejected
          : `${base.delete}/rejected`;
    await this.options.mqtt.publish(topic, response);
    return { ok: false, error: response };
  }

  private seconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

function merged(
  previous: StoredShadow | undefined,
  request: ShadowUpdateRequest,
  timestamp: number,
): StoredShadow {
  const state: StoredShadow['state'] = { ...previous?.state };
  const metadata: StoredShadow['metadata'] = { ...previous?.metadata };
  for (const section of ['desired', 'reported'] as const) {
    const patch = request.state[section];
    if (patch === undefined) continue;
    const result = mergeSection(state[section], metadata[section], patch, timestamp);
    if (result.values === undefined) {
      delete state[section];
      delete metadata[section];
    } else {
      state[section] = result.values;
      metadata[section] = result.metadata;
    }
  }
  return { state, metadata, version: (previous?.version ?? 0) + 1, timestamp };
}

/**
 * The get/accepted document: desired, reported and the delta between them; `timestamp` is when
 * the answer is sent, as in AWS.
 */
export function documentOf(
  stored: StoredShadow,
  clientToken: string | undefined,
  timestamp: number,
): ShadowDocument {
  const delta = deltaOf(stored.state.desired, stored.state.reported);
  return {
    state: { ...stored.state, ...(delta === undefined ? {} : { delta }) },
    metadata: stored.metadata,
    version: stored.version,
    timestamp,
    ...(clientToken === undefined ? {} : { clientToken }),
  };
}
