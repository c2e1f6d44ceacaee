import type { ShadowMetadata, ShadowValues } from '@coffee-iot/shared';

/**
 * How the Device Shadow service merges an update into a document (AWS IoT Developer Guide,
 * "Device Shadow service documents"): keys merge one by one, nested objects merge key by key,
 * `null` deletes a key, arrays and other values replace what was there. Metadata mirrors the
 * state with `{ timestamp }` (epoch seconds) on every value set.
 */
export interface StoredShadow {
  state: { desired?: ShadowValues; reported?: ShadowValues };
  metadata: ShadowMetadata;
  version: number;
  /** Epoch seconds of the last update. */
  timestamp: number;
}

type Values = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One section (desired or reported) after `patch`; undefined when nothing is left in it. */
export function mergeSection(
  current: Values | undefined,
  currentMetadata: Values | undefined,
  patch: Values | null,
  timestamp: number,
): { values?: Values; metadata?: Values } {
  if (patch === null) return {};
  const values: Values = { ...current };
  const metadata: Values = { ...currentMetadata };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete values[key];
      delete metadata[key];
    } else if (isPlainObject(value)) {
      const before = values[key];
      const beforeMetadata = metadata[key];
      const merged = mergeSection(
        isPlainObject(before) ? before : undefined,
        isPlainObject(before) && isPlainObject(beforeMetadata) ? beforeMetadata : undefined,
        value,
        timestamp,
      );
      if (merged.values === undefined) {
        delete values[key];
        delete metadata[key];
      } else {
        values[key] = merged.values;
        metadata[key] = merged.metadata;
      }
    } else {
      values[key] = value;
      metadata[key] = { timestamp };
    }
  }
  return Object.keys(values).length === 0 ? {} : { values, metadata };
}

/** `{ timestamp }` for every value the update named, shaped like the update (update/accepted). */
export function metadataOfPatch(patch: Values, timestamp: number): Values {
  const metadata: Values = {};
  for (const [key, value] of Object.entries(patch)) {
    metadata[key] = isPlainObject(value) ? metadataOfPatch(value, timestamp) : { timestamp };
  }
  return metadata;
}

/**
 * The desired keys whose values reported does not have (absent or different), recursing into
 * objects both sides have; undefined when desired and reported agree.
 */
export function deltaOf(desired: Values | undefined, reported: Values | undefined): Values | undefined {
  if (desired === undefined) return undefined;
  const delta: Values = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = reported?.[key];
    if (isPlainObject(want) && isPlainObject(have)) {
      const inner = deltaOf(want, have);
      if (inner !== undefined) delta[key] = inner;
    } else if (!(reported !== undefined && key in reported && sameValue(want, have))) {
      delta[key] = want;
    }
  }
  return Object.keys(delta).length === 0 ? undefined : delta;
}

/** The desired metadata of the keys in `delta`, shaped like it. */
export function metadataOfDelta(delta: Values, desiredMetadata: Values | undefined): Values {
  const metadata: Values = {};
  for (const [key, value] of Object.entries(delta)) {
    const own = desiredMetadata?.[key];
    metadata[key] =
      isPlainObject(value) && isPlainObject(own) && !('timestamp' in own && Object.keys(own).length === 1)
        ? metadataOfDelta(value, own)
        : own;
  }
  return metadata;
}

/** Deep equality of JSON values (key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => sameValue(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && sameValue(a[key], b[key]))
    );
  }
  return false;
}

/** How deep a JSON value nests objects; AWS refuses shadow state deeper than 6 levels. */
export function depthOf(value: unknown): number {
  if (!isPlainObject(value)) return 0;
  let deepest = 0;
  for (const inner of Object.values(value)) deepest = Math.max(deepest, depthOf(inner));
  return deepest + 1;
}
