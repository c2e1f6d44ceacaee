import { TopicError } from '../errors.js';
import { THING_NAME_PATTERN } from '../topics.js';

/**
 * The device shadow MQTT API (AWS IoT Developer Guide, "Device Shadow service MQTT topics"), for a
 * named shadow. coffee-iot uses one: `config`, the device's live configuration.
 */
export const CONFIG_SHADOW_NAME = 'config';

/** AWS shadow names: 1–64 of letters, digits, colon, underscore, hyphen. */
const SHADOW_NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,64}$/;

export interface ShadowTopics {
  /** Publish an empty message: the service answers on getAccepted or getRejected. */
  readonly get: string;
  readonly getAccepted: string;
  readonly getRejected: string;
  /** Publish a ShadowUpdateRequest. */
  readonly update: string;
  readonly updateAccepted: string;
  readonly updateRejected: string;
  /** Desired differs from reported: the service publishes a ShadowDelta here. */
  readonly updateDelta: string;
  readonly updateDocuments: string;
  readonly delete: string;
  /** Every topic of this shadow, for a policy: `$aws/things/{thing}/shadow/name/{name}/*`. */
  readonly all: string;
}

export function shadowTopics(thingName: string, shadowName: string = CONFIG_SHADOW_NAME): ShadowTopics {
  if (!THING_NAME_PATTERN.test(thingName) && !thingName.startsWith('${')) {
    throw new TopicError(`thing name "${thingName}" must match ${THING_NAME_PATTERN}`);
  }
  if (!SHADOW_NAME_PATTERN.test(shadowName)) {
    throw new TopicError(`shadow name "${shadowName}" must match ${SHADOW_NAME_PATTERN}`);
  }
  const base = `$aws/things/${thingName}/shadow/name/${shadowName}`;
  return {
    get: `${base}/get`,
    getAccepted: `${base}/get/accepted`,
    getRejected: `${base}/get/rejected`,
    update: `${base}/update`,
    updateAccepted: `${base}/update/accepted`,
    updateRejected: `${base}/update/rejected`,
    updateDelta: `${base}/update/delta`,
    updateDocuments: `${base}/update/documents`,
    delete: `${base}/delete`,
    all: `${base}/*`,
  };
}

/** Matches a named shadow topic; the local shadow service routes requests with it. */
export const SHADOW_TOPIC_PATTERN =
  /^\$aws\/things\/([a-zA-Z0-9:_-]{1,128})\/shadow\/name\/([a-zA-Z0-9:_-]{1,64})\/(get|update|delete)(?:\/(accepted|rejected|delta|documents))?$/;

export type ShadowValues = Record<string, unknown>;

/** The state a client publishes on `update`: `null` for a key deletes it. */
export interface ShadowUpdateRequest {
  state: { desired?: ShadowValues | null; reported?: ShadowValues | null };
  clientToken?: string;
  /** When set, the update is rejected (409) unless it equals the shadow's current version. */
  version?: number;
}

/** Per-key timestamps (epoch seconds), shaped like the state they describe. */
export interface ShadowMetadata {
  desired?: Record<string, unknown>;
  reported?: Record<string, unknown>;
}

/** `get/accepted`: the whole document. `delta` is present only when desired differs from reported. */
export interface ShadowDocument {
  state: { desired?: ShadowValues; reported?: ShadowValues; delta?: ShadowValues };
  metadata: ShadowMetadata;
  version: number;
  /** Epoch seconds. */
  timestamp: number;
  clientToken?: string;
}

/** `update/accepted`: what the update set, not the whole document. */
export interface ShadowUpdateAccepted {
  state: { desired?: ShadowValues | null; reported?: ShadowValues | null };
  metadata: ShadowMetadata;
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** `update/delta`: the desired keys whose values differ from reported. */
export interface ShadowDelta {
  state: ShadowValues;
  metadata: Record<string, unknown>;
  version: number;
  timestamp: number;
  clientToken?: string;
}

/** The `rejected` answers: 400 bad request, 401, 403, 404 no shadow, 409 version conflict, 413, 429, 500. */
export interface ShadowErrorResponse {
  code: number;
  message: string;
  timestamp?: number;
  clientToken?: string;
}
