import { randomUUID } from 'node:crypto';
import {
  type ShadowDelta,
  type ShadowDocument,
  type ShadowErrorResponse,
  type ShadowTopics,
  type ShadowUpdateRequest,
  type ShadowValues,
  shadowTopics,
} from '@coffee-iot/shared';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ConnectionContext, ConnectionService } from '../remote/connection-service.js';
import type { InboundMessage } from '../transport/transport-port.js';
import type { RemoteConfigApplier } from './config-applier.js';
import type { ConfigChangeResult } from './live-config-port.js';
import { flattenSettings, LIVE_KEYS, nestSettings } from './remote-keys.js';
import { initialSyncStatus, type RemoteConfigSyncStatus } from './sync-status.js';

/** The broker refused a shadow subscription: remote configuration is off until the next connection. */
export class ShadowSubscribeError extends Error {
  override readonly name = 'ShadowSubscribeError';
}

export interface ShadowConfigServiceOptions {
  thingName: string;
  applier: Pick<RemoteConfigApplier, 'apply' | 'valueInEffect' | 'pendingRestart' | 'onChanged'>;
  clock: Clock;
  logger: Logger;
  /** clientTokens of this device's requests; AWS allows 64 bytes. */
  newClientToken?: () => string;
}

/** The keys of `reported` that are not settings: why values were refused or are not in effect yet. */
const REFUSED = 'refused';
const PENDING = 'pendingRestart';
/** AWS refuses shadow requests over 8 KB of state (413); a report stays well under it. */
const MAX_REPORT_BYTES = 6 * 1024;
const MAX_REASON_CHARS = 240;

/**
 * The named shadow `config`: desired settings in, reported settings out.
 *
 * On every connection (sessions are clean) it subscribes and asks for the whole document, so a
 * change made while the device was offline is applied on reconnect; then each delta is applied
 * through the RemoteConfigApplier, and `reported` states the values in effect, the refusals
 * (key → reason) and the changes waiting for a restart. A refusal is reported until a valid value
 * for its key arrives or the desired key goes away; then it is removed (set to null).
 *
 * Deltas and gets are handled one at a time, in order; one whose version is not newer than the last
 * handled (a QoS 1 redelivery, a get answered after a newer delta) is ignored and counted.
 */
export class ShadowConfigService implements ConnectionService {
  readonly name = 'config-shadow';
  private readonly topics: ShadowTopics;
  private readonly newClientToken: () => string;
  private connection: ConnectionContext | null = null;
  private work: Promise<void> = Promise.resolve();
  /** Version of the last desired state handled; shadow versions only grow. */
  private lastVersion = -1;
  private getToken: string | null = null;
  private readonly ourTokens = new Set<string>();
  /** Refusals being reported, key → reason. */
  private readonly refused = new Map<string, string>();
  /** Keys of `reported.refused` / `reported.pendingRestart` in the shadow now. */
  private reportedRefused = new Set<string>();
  private reportedPending = new Set<string>();
  /** The last reported state published on this connection, to never publish the same one twice. */
  private lastReport: string | null = null;
  private readonly syncStatus: RemoteConfigSyncStatus = initialSyncStatus();

  constructor(private readonly options: ShadowConfigServiceOptions) {
    this.topics = shadowTopics(options.thingName);
    this.newClientToken = options.newClientToken ?? randomUUID;
    // A set-config job changes settings too: the shadow must show what is in effect, whoever set it.
    options.applier.onChanged((keys, source) => {
      const connection = this.connection;
      if (source === 'shadow' || connection === null) return; // offline: the next get reports it
      this.work = this.work
        .then(() => this.report(connection, keys))
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'config shadow report failed'));
    });
  }

  status(): RemoteConfigSyncStatus {
    return structuredClone(this.syncStatus);
  }

  async connected(connection: ConnectionContext): Promise<void> {
    this.connection = connection;
    this.lastReport = null;
    const { topics } = this;
    const handlers: Array<[string, (payload: unknown) => void]> = [
      [topics.getAccepted, (doc) => this.onGetAccepted(connection, doc as ShadowDocument)],
      [topics.getRejected, (error) => this.onRejected(connection, 'get', error as ShadowErrorResponse)],
      [topics.updateDelta, (delta) => this.onDelta(connection, delta as ShadowDelta)],
      [topics.updateAccepted, (doc) => this.onUpdateAccepted(doc as { clientToken?: string })],
      [topics.updateRejected, (error) => this.onRejected(connection, 'update', error as ShadowErrorResponse)],
    ];
    const outcomes = await Promise.allSettled(
      handlers.map(([filter, handle]) =>
        connection.subscribe(filter, (message) => this.receive(connection, message, handle)),
      ),
    );
    const refusedFilters = handlers
      .filter((_, index) => outcomes[index]?.status === 'rejected')
      .map(([f]) => f);
    if (refusedFilters.length > 0) {
      const first = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      const message = `config shadow off on this connection: the broker refused ${refusedFilters.join(', ')}; check that the thing's IoT policy allows iot:Subscribe and iot:Receive on $aws/things/${this.options.thingName}/shadow/name/config/*. Retried on the next connection; telemetry is not affected`;
      this.syncStatus.lastError = message;
      this.connection = null;
      throw new ShadowSubscribeError(message, { cause: first.reason });
    }
    this.getToken = this.token();
    await connection.publish(topics.get, { clientToken: this.getToken });
  }

  disconnected(): void {
    this.connection = null;
    this.getToken = null;
    this.lastReport = null;
  }

  async stop(): Promise<void> {
    this.connection = null;
    await this.work;
  }

  private token(): string {
    const token = this.newClientToken();
    this.ourTokens.add(token);
    // Answers come back within seconds; a long-lived connection must not grow this set forever.
    if (this.ourTokens.size > 32) this.ourTokens.delete(this.ourTokens.values().next().value as string);
    return token;
  }

  private receive(
    connection: ConnectionContext,
    message: InboundMessage,
    handle: (payload: unknown) => void,
  ): void {
    if (connection.signal.aborted || this.connection !== connection) return;
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder().decode(message.payload));
    } catch (error) {
      this.options.logger.warn(
        { err: error, topic: message.topic },
        'config shadow message is not JSON; ignored',
      );
      return;
    }
    handle(payload);
  }

  private onGetAccepted(connection: ConnectionContext, doc: ShadowDocument): void {
    // get/accepted reaches every subscriber: an answer to someone else's get (the CLI) is not ours.
    if (doc.clientToken === undefined || doc.clientToken !== this.getToken) return;
    this.ourTokens.delete(doc.clientToken);
    this.getToken = null;
    const reported = doc.state?.reported ?? {};
    this.reportedRefused = new Set(Object.keys(objectOr(reported[REFUSED])));
    this.reportedPending = new Set(Object.keys(objectOr(reported[PENDING])));
    const delta = doc.state?.delta ?? {};
    // The whole document: a refusal whose key is no longer in the delta is settled.
    const stillDiffering = new Set(Object.keys(flattenSettings(delta)));
    for (const key of [...this.refused.keys()]) if (!stillDiffering.has(key)) this.refused.delete(key);
    for (const key of this.reportedRefused) if (!stillDiffering.has(key)) this.refused.delete(key);
    this.enqueue(connection, delta, doc.version, 'get');
  }

  private onDelta(connection: ConnectionContext, delta: ShadowDelta): void {
    this.enqueue(connection, delta.state ?? {}, delta.version, 'delta');
  }

  private onUpdateAccepted(doc: { clientToken?: string }): void {
    if (doc.clientToken === undefined || !this.ourTokens.delete(doc.clientToken)) return;
    this.options.logger.debug({ clientToken: doc.clientToken }, 'config shadow reported state accepted');
  }

  private onRejected(
    connection: ConnectionContext,
    request: 'get' | 'update',
    error: ShadowErrorResponse,
  ): void {
    const ours = error.clientToken !== undefined && this.ourTokens.delete(error.clientToken);
    if (!ours) return;
    if (request === 'get' && error.code === 404) {
      // No shadow yet (nothing desired): create it with the settings in effect, for the dashboard.
      this.getToken = null;
      this.enqueue(connection, {}, null, 'get');
      return;
    }
    this.syncStatus.lastError = `shadow ${request} rejected: ${error.code} ${error.message}`;
    this.options.logger.error(
      { code: error.code, reason: error.message, request },
      `config shadow ${request} rejected`,
    );
  }

  private enqueue(
    connection: ConnectionContext,
    desired: ShadowValues,
    version: number | null,
    kind: 'get' | 'delta',
  ): void {
    this.work = this.work
      .then(() => this.sync(connection, desired, version, kind))
      .catch((error: unknown) => {
        // The next delta or reconnect syncs again; telemetry is not affected.
        this.options.logger.error({ err: error, version }, 'config shadow sync failed');
      });
  }

  private async sync(
    connection: ConnectionContext,
    desired: ShadowValues,
    version: number | null,
    kind: 'get' | 'delta',
  ): Promise<void> {
    const { logger, clock, applier } = this.options;
    if (version !== null) {
      // A delta at the version already handled is a redelivery; a get at that version is the
      // whole document again (after a report lost with its connection) and must be reported.
      if (kind === 'get' ? version < this.lastVersion : version <= this.lastVersion) {
        this.syncStatus.ignoredStaleDeltas += 1;
        logger.info({ version, lastVersion: this.lastVersion, kind }, 'stale config shadow state ignored');
        return;
      }
      this.lastVersion = version;
    }
    const result: ConfigChangeResult =
      Object.keys(desired).length > 0
        ? await applier.apply(desired, 'shadow')
        : { applied: {}, refused: {}, pendingRestart: {} };
    for (const key of [...Object.keys(result.applied), ...Object.keys(result.pendingRestart)]) {
      this.refused.delete(key);
    }
    for (const [key, reason] of Object.entries(result.refused)) this.refused.set(key, reason);
    const changedKeys = Object.keys(flattenSettings(desired));
    this.syncStatus.shadowVersion = version ?? this.syncStatus.shadowVersion;
    this.syncStatus.syncedAtMs = clock.now();
    this.syncStatus.applied = [...Object.keys(result.applied), ...Object.keys(result.pendingRestart)];
    this.syncStatus.refused = Object.fromEntries(this.refused);
    this.syncStatus.pendingRestart = Object.keys(applier.pendingRestart());
    this.syncStatus.lastError = null;
    if (connection.signal.aborted) return; // applied and saved; reported on the next connection
    await this.report(connection, changedKeys);
  }

  private async report(connection: ConnectionContext, changedKeys: readonly string[]): Promise<void> {
    const { applier } = this.options;
    const values: Record<string, unknown> = {};
    // The live settings always, so the dashboard shows them; plus every key the change named.
    for (const key of [...LIVE_KEYS, ...changedKeys]) {
      const value = applier.valueInEffect(key);
      if (value !== undefined) values[key] = value;
    }
    const pending = applier.pendingRestart();
    const reported: ShadowValues = nestSettings(values);
    const refused = removalAware(shortReasons(this.refused, MAX_REASON_CHARS), this.reportedRefused);
    if (refused !== undefined) reported[REFUSED] = refused;
    const pendingReport = removalAware(pending, this.reportedPending);
    if (pendingReport !== undefined) reported[PENDING] = pendingReport;
    if (refused !== undefined && Buffer.byteLength(JSON.stringify(reported)) > MAX_REPORT_BYTES) {
      // Past AWS's 8 KB a report is rejected whole: keep the keys, send the reasons to the status.
      reported[REFUSED] = removalAware(shortReasons(this.refused, 0), this.reportedRefused);
    }
    const text = JSON.stringify(reported);
    if (text === this.lastReport) return;
    const clientToken = this.token();
    const request: ShadowUpdateRequest = { state: { reported }, clientToken };
    try {
      await connection.publish(this.topics.update, request);
    } catch (error) {
      this.ourTokens.delete(clientToken);
      this.options.logger.warn(
        { err: error },
        'config shadow report not sent; sent again on the next connection',
      );
      return;
    }
    this.lastReport = text;
    this.reportedRefused = new Set(this.refused.keys());
    this.reportedPending = new Set(Object.keys(pending));
  }
}

/**
 * A map to merge into `reported`: the shadow merges objects key by key, so keys it holds that are
 * gone now are sent as null (deleted). Undefined when there is nothing to say.
 */
function removalAware(
  current: Record<string, unknown>,
  inShadow: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = { ...current };
  for (const key of inShadow) if (!(key in out)) out[key] = null;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Reasons cut to `max` characters; 0 keeps only a pointer to where the whole reason is. */
function shortReasons(refused: ReadonlyMap<string, string>, max: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, reason] of refused) {
    out[key] =
      max === 0
        ? 'refused: the reason is in the device log and `coffee-iot-agent status`'
        : reason.length > max
          ? `${reason.slice(0, max - 1)}…`
          : reason;
  }
  return out;
}

function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
