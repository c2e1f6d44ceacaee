import { REINGESTED_FIELD, THING_FIELD, telemetrySchema } from '@coffee-iot/shared';
import { TELEMETRY_COLUMNS } from '../../columns.js';

/**
 * What the telemetry fast path checks, read from the telemetry schema itself (the same JSON the
 * shared Ajv validator compiles), so that a range changed there is a range changed here. The fast
 * path knows how to check only certain keywords (a number's minimum and maximum, seq as a safe
 * integer ≥ 1, the ts, deviceId and bootId patterns it implements); a schema asking for anything
 * else (a new field, keyword or pattern) gives no rules, and every record then takes the slow path.
 * A test asserts the rules exist for the schema in the repository.
 */
export interface TelemetryRules {
  /** The reading's number fields in TELEMETRY_COLUMNS order: rows are written in this order. */
  numberFields: readonly string[];
  minimum: Float64Array;
  maximum: Float64Array;
  /** Bit i: reading key i is required (0 seq, 1 ts, 2 + f number field f). */
  requiredReadingKeys: number;
  readingKeys: KeyTable;
  envelopeKeys: KeyTable;
}

/** Reading key indexes besides the number fields (2 + f). */
export const SEQ_KEY = 0;
export const TS_KEY = 1;
export const FIRST_NUMBER_KEY = 2;

/** Envelope key indexes: the envelope's own, then what the topic rule and the re-ingest add. */
export const V_KEY = 0;
export const DEVICE_ID_KEY = 1;
export const BOOT_ID_KEY = 2;
export const READINGS_KEY = 3;
export const TYPE_KEY = 4;
export const THING_KEY = 5;
export const REINGESTED_KEY = 6;
const ENVELOPE_KEYS = ['v', 'deviceId', 'bootId', 'readings', 'type', THING_FIELD, REINGESTED_FIELD];
export const REQUIRED_ENVELOPE_KEYS =
  (1 << V_KEY) | (1 << DEVICE_ID_KEY) | (1 << BOOT_ID_KEY) | (1 << READINGS_KEY) | (1 << TYPE_KEY);

/** The patterns the scanner implements (telemetry-scan.ts): any other one turns the fast path off. */
export const DEVICE_ID_PATTERN = '^[a-zA-Z0-9:_-]{1,128}$';
export const BOOT_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
export const TS_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';

/**
 * Object keys → their index, for keys read as bytes: a small open table hashed on the key's
 * length and three of its bytes, each hit confirmed byte for byte. No string is made per key.
 */
export class KeyTable {
  private readonly slots = new Int8Array(1024).fill(-1);
  readonly keys: readonly Uint8Array[];

  /** Throws when two keys share a slot (the caller then has no rules). */
  constructor(names: readonly string[]) {
    this.keys = names.map((name) => new TextEncoder().encode(name));
    this.keys.forEach((key, index) => {
      const slot = KeyTable.slotOf(key, 0, key.length);
      if (this.slots[slot] !== -1)
        throw new Error(`keys ${names[this.slots[slot] ?? 0]} and ${names[index]} collide`);
      this.slots[slot] = index;
    });
  }

  private static slotOf(data: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (length === 0) return 0;
    const first = data[start] as number;
    const middle = data[start + (length >> 1)] as number;
    const last = data[end - 1] as number;
    return (length * 37 + first * 7 + middle * 5 + last * 3) & 1023;
  }

  /** The index of the key held in data[start, end), or -1. */
  indexOf(data: Uint8Array, start: number, end: number): number {
    const index = this.slots[KeyTable.slotOf(data, start, end)] as number;
    if (index < 0) return -1;
    const key = this.keys[index] as Uint8Array;
    if (end - start !== key.length) return -1;
    for (let i = 0; i < key.length; i += 1) if (data[start + i] !== key[i]) return -1;
    return index;
  }
}

type SchemaNode = Record<string, unknown>;

const only = (node: SchemaNode, allowed: readonly string[]) =>
  Object.keys(node).every((key) => key === 'description' || allowed.includes(key));

/** The rules for `schema` (the telemetry v1 schema's shape), or undefined when it asks for more. */
export function telemetryRulesOf(schema: SchemaNode): TelemetryRules | undefined {
  const properties = schema.properties as Record<string, SchemaNode> | undefined;
  const definitions = schema.definitions as Record<string, SchemaNode> | undefined;
  const reading = definitions?.reading;
  if (properties === undefined || reading === undefined) return undefined;
  const envelopeOk =
    schema.type === 'object' &&
    schema.additionalProperties === false &&
    sameSet(schema.required, ['v', 'deviceId', 'bootId', 'readings']) &&
    sameSet(Object.keys(properties), ['v', 'deviceId', 'bootId', 'readings']) &&
    only(properties.v ?? {}, ['const']) &&
    properties.v?.const === 1 &&
    isPattern(properties.deviceId, DEVICE_ID_PATTERN) &&
    isPattern(properties.bootId, BOOT_ID_PATTERN) &&
    only(properties.readings ?? {}, ['type', 'minItems', 'items']) &&
    properties.readings?.type === 'array' &&
    properties.readings.minItems === 1 &&
    (properties.readings.items as SchemaNode | undefined)?.$ref === '#/definitions/reading' &&
    Object.keys(properties.readings.items as SchemaNode).length === 1;
  if (!envelopeOk) return undefined;

  const fields = reading.properties as Record<string, SchemaNode> | undefined;
  if (
    fields === undefined ||
    !only(reading, ['type', 'additionalProperties', 'required', 'properties']) ||
    reading.type !== 'object' ||
    reading.additionalProperties !== false ||
    !Array.isArray(reading.required)
  ) {
    return undefined;
  }
  const seq = fields.seq;
  if (
    seq === undefined ||
    !only(seq, ['type', 'minimum', 'maximum']) ||
    seq.type !== 'integer' ||
    seq.minimum !== 1 ||
    seq.maximum !== Number.MAX_SAFE_INTEGER ||
    !isPattern(fields.ts, TS_PATTERN)
  ) {
    return undefined;
  }
  // The row's doubles, in column order: each must be a plain bounded number in the schema.
  const numberFields = TELEMETRY_COLUMNS.filter((column) => column.type === 'double').map((c) => c.source);
  if (!sameSet(Object.keys(fields), ['seq', 'ts', ...numberFields])) return undefined;
  const minimum = new Float64Array(numberFields.length);
  const maximum = new Float64Array(numberFields.length);
  for (const [f, name] of numberFields.entries()) {
    const field = fields[name] as SchemaNode;
    if (!only(field, ['type', 'minimum', 'maximum']) || field.type !== 'number') return undefined;
    if (typeof field.minimum !== 'number' || typeof field.maximum !== 'number') return undefined;
    minimum[f] = field.minimum;
    maximum[f] = field.maximum;
  }
  const readingKeyNames = ['seq', 'ts', ...numberFields];
  let requiredReadingKeys = 0;
  for (const name of reading.required as unknown[]) {
    const index = readingKeyNames.indexOf(String(name));
    if (index < 0) return undefined;
    requiredReadingKeys |= 1 << index;
  }
  try {
    return {
      numberFields,
      minimum,
      maximum,
      requiredReadingKeys,
      readingKeys: new KeyTable(readingKeyNames),
      envelopeKeys: new KeyTable(ENVELOPE_KEYS),
    };
  } catch {
    return undefined;
  }
}

function isPattern(node: SchemaNode | undefined, pattern: string): boolean {
  return (
    node !== undefined &&
    only(node, ['type', 'pattern']) &&
    node.type === 'string' &&
    node.pattern === pattern
  );
}

function sameSet(actual: unknown, expected: readonly string[]): boolean {
  return (
    Array.isArray(actual) &&
    actual.length === expected.length &&
    expected.every((name) => actual.includes(name))
  );
}

/** The rules for the repository's telemetry schema; undefined turns the fast path off. */
export const TELEMETRY_RULES: TelemetryRules | undefined = telemetryRulesOf(
  telemetrySchema as unknown as SchemaNode,
);
