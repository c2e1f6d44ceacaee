import { isDeepStrictEqual } from 'node:util';
import {
  type ShadowTopics,
  type ShadowUpdateRequest,
  type ShadowValues,
  shadowTopics,
} from '@coffee-iot/shared';
import type { FakeTransport } from './fake-transport.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** AWS's merge: objects key by key, null deletes, anything else replaces. */
function merge(target: ShadowValues, patch: ShadowValues): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isObject(value)) {
      const child = isObject(target[key]) ? (target[key] as ShadowValues) : {};
      merge(child, value);
      target[key] = child;
    } else target[key] = value;
  }
}

/** Desired keys whose values differ from reported, as the shadow service computes its delta. */
function deltaOf(desired: ShadowValues, reported: ShadowValues): ShadowValues {
  const delta: ShadowValues = {};
  for (const [key, value] of Object.entries(desired)) {
    const other = reported[key];
    if (isObject(value) && isObject(other)) {
      const inner = deltaOf(value, other);
      if (Object.keys(inner).length > 0) delta[key] = inner;
    } else if (!isDeepStrictEqual(value, other)) delta[key] = value;
  }
  return delta;
}

/**
 * Plays the named-shadow service on a FakeTransport for unit tests, in AWS's shapes: get answers
 * get/accepted (or 404 before the first write), update merges and answers update/accepted, and a
 * desired change sends update/delta to a connected device. The real one is local/src/iot-core.
 */
export class FakeShadow {
  readonly topics: ShadowTopics;
  desired: ShadowValues = {};
  reported: ShadowValues = {};
  version = 0;
  readonly updates: ShadowUpdateRequest[] = [];
  gets = 0;

  constructor(
    private readonly transport: FakeTransport,
    thingName: string,
  ) {
    this.topics = shadowTopics(thingName);
    transport.onPublish = (topic, payload) => this.handle(topic, payload);
  }

  /** An operator sets desired values; a connected device gets the delta (a disconnected one does not). */
  setDesired(patch: ShadowValues): void {
    merge(this.desired, patch);
    this.version += 1;
    const delta = deltaOf(this.desired, this.reported);
    if (Object.keys(delta).length === 0) return;
    this.transport.deliver(this.topics.updateDelta, {
      state: delta,
      metadata: {},
      version: this.version,
      timestamp: Math.floor(Date.now() / 1000),
    });
  }

  delta(): ShadowValues {
    return deltaOf(this.desired, this.reported);
  }

  private handle(topic: string, payload: string): void {
    const request = JSON.parse(payload) as ShadowUpdateRequest & { clientToken?: string };
    const timestamp = Math.floor(Date.now() / 1000);
    if (topic === this.topics.get) {
      this.gets += 1;
      if (this.version === 0) {
        this.transport.deliver(this.topics.getRejected, {
          code: 404,
          message: "No shadow exists with name: 'config'",
          clientToken: request.clientToken,
          timestamp,
        });
        return;
      }
      const delta = this.delta();
      this.transport.deliver(this.topics.getAccepted, {
        state: {
          desired: this.desired,
          reported: this.reported,
          ...(Object.keys(delta).length > 0 ? { delta } : {}),
        },
        metadata: {},
        version: this.version,
        timestamp,
        clientToken: request.clientToken,
      });
      return;
    }
    if (topic !== this.topics.update) return;
    this.updates.push(request);
    if (request.state.reported) merge(this.reported, request.state.reported);
    this.version += 1;
    this.transport.deliver(this.topics.updateAccepted, {
      state: request.state,
      metadata: {},
      version: this.version,
      timestamp,
      clientToken: request.clientToken,
    });
  }
}
