import { telemetrySchema } from '@coffee-iot/shared';
import { describe, expect, it } from 'vitest';
import { TELEMETRY_COLUMNS } from '../../columns.js';
import { KeyTable, TELEMETRY_RULES, telemetryRulesOf } from './telemetry-rules.js';

type Schema = Record<string, unknown>;
const copy = (): Schema => structuredClone(telemetrySchema) as unknown as Schema;
const readingOf = (schema: Schema) =>
  (schema.definitions as Record<string, Schema>).reading as Schema & { properties: Record<string, Schema> };

describe('the telemetry fast path’s rules', () => {
  it('exist for the repository’s telemetry schema, with its ranges, in the table’s column order', () => {
    expect(TELEMETRY_RULES).toBeDefined();
    const doubles = TELEMETRY_COLUMNS.filter((column) => column.type === 'double').map(
      (column) => column.source,
    );
    expect(TELEMETRY_RULES?.numberFields).toEqual(doubles);
    const properties = readingOf(copy()).properties;
    doubles.forEach((name, f) => {
      expect(TELEMETRY_RULES?.minimum[f]).toBe(properties[name]?.minimum);
      expect(TELEMETRY_RULES?.maximum[f]).toBe(properties[name]?.maximum);
    });
  });

  it('follow a range changed in the schema', () => {
    const schema = copy();
    (readingOf(schema).properties.humidity as Schema).maximum = 90;
    const rules = telemetryRulesOf(schema);
    expect(rules?.maximum[rules.numberFields.indexOf('humidity')]).toBe(90);
  });

  // A schema asking for what the scanner does not check turns the fast path off: every record is
  // then validated by Ajv, never let through unchecked.
  const envelope = (s: Schema) => s.properties as Record<string, Schema>;
  const field = (s: Schema, name: string) => readingOf(s).properties[name] as Schema;
  const changes: [string, (schema: Schema) => void][] = [
    [
      'a new reading field',
      (s) => {
        readingOf(s).properties.lux = { type: 'number', minimum: 0, maximum: 1 };
      },
    ],
    [
      'a new keyword on a number',
      (s) => {
        field(s, 'pitch').multipleOf = 0.5;
      },
    ],
    [
      'an open reading',
      (s) => {
        readingOf(s).additionalProperties = true;
      },
    ],
    [
      'another device id pattern',
      (s) => {
        envelope(s).deviceId = { type: 'string', pattern: '^.+$' };
      },
    ],
    [
      'another ts pattern',
      (s) => {
        field(s, 'ts').pattern = '^.+$';
      },
    ],
    [
      'another seq bound',
      (s) => {
        field(s, 'seq').maximum = 100;
      },
    ],
    [
      'an exclusive bound',
      (s) => {
        field(s, 'yaw').exclusiveMaximum = 360;
      },
    ],
    [
      'a required unknown field',
      (s) => {
        (readingOf(s).required as string[]).push('lux');
      },
    ],
    [
      'a new envelope field',
      (s) => {
        envelope(s).site = { type: 'string' };
      },
    ],
    [
      'v 2',
      (s) => {
        envelope(s).v = { const: 2 };
      },
    ],
    [
      'readings allowed empty',
      (s) => {
        (envelope(s).readings as Schema).minItems = 0;
      },
    ],
  ];
  for (const [what, change] of changes) {
    it(`are none for a schema with ${what}`, () => {
      const schema = copy();
      change(schema);
      expect(telemetryRulesOf(schema)).toBeUndefined();
    });
  }
});

describe('KeyTable', () => {
  it('finds each key from its bytes and nothing else', () => {
    const names = ['seq', 'ts', 'yaw', 'magX', 'magY', 'gyroX', 'temperatureAmbient'];
    const table = new KeyTable(names);
    const bytes = (text: string) => new TextEncoder().encode(text);
    for (const [index, name] of names.entries())
      expect(table.indexOf(bytes(name), 0, name.length)).toBe(index);
    for (const other of ['', 'se', 'seqq', 'Seq', 'magZ', 'gyroXX', 'temperatureambient']) {
      expect(table.indexOf(bytes(other), 0, other.length)).toBe(-1);
    }
  });
});
