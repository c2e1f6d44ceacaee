import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CoffeeRecord,
  coffeeRecordSchema,
  telemetryIngestRecord,
  telemetrySchema,
  UNKNOWN_FACE_ATTRIBUTES,
} from '@coffee-iot/shared';
import { afterAll, describe, expect, it } from 'vitest';
import {
  COFFEE_COLUMNS,
  type LakeColumn,
  type LakeColumnType,
  PARTITION_COLUMNS,
  TELEMETRY_COLUMNS,
} from '../../../cloud/src/lake/columns.js';
import { transformIngestRecords } from '../../../cloud/src/lake/transform.js';

/**
 * One definition of the lake's tables, held together: the PySpark script's column lists, the
 * TypeScript columns (cloud/src/lake/columns.ts) and the JSON Schemas of the contracts must say
 * the same thing, and the transform must emit exactly those columns.
 */
const SCRIPT = fileURLToPath(new URL('../../../cloud/glue/ingest_stream_job.py', import.meta.url));
// Bytecode goes to a temporary directory, not next to the script.
const pycache = mkdtempSync(join(tmpdir(), 'coffee-iot-pycache-'));
afterAll(() => rmSync(pycache, { recursive: true, force: true }));

function python(args: string[]): string {
  return execFileSync('python3', args, {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPYCACHEPREFIX: pycache, PYTHONDONTWRITEBYTECODE: '1' },
  });
}

/** The script's list literals, read with ast (never run), and the fields its Kinesis schema parses. */
interface ScriptColumns {
  TELEMETRY_COLUMNS: [string, string][];
  COFFEE_COLUMNS: [string, string][];
  PARTITION_COLUMNS: string[];
  readingFields: [string, string][];
  coffeeFields: [string, string][];
}

const READ_SCRIPT = `
import ast, importlib.util, json, sys
sys.dont_write_bytecode = True
path = sys.argv[1]
tree = ast.parse(open(path, encoding="utf-8").read(), path)
wanted = {"TELEMETRY_COLUMNS", "COFFEE_COLUMNS", "PARTITION_COLUMNS"}
found = {}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        if node.targets[0].id in wanted:
            found[node.targets[0].id] = ast.literal_eval(node.value)
spec = importlib.util.spec_from_file_location("ingest_stream_job", path)
job = importlib.util.module_from_spec(spec)
spec.loader.exec_module(job)
found["readingFields"] = job.reading_fields()
found["coffeeFields"] = job.coffee_fields()
print(json.dumps(found))
`;

let scriptColumns: ScriptColumns | undefined;
/** Read once, on first use inside a test, so a script that does not even parse fails the tests that need it. */
function readScript(): ScriptColumns {
  scriptColumns ??= JSON.parse(python(['-c', READ_SCRIPT, SCRIPT])) as ScriptColumns;
  return scriptColumns;
}

type JsonSchema = {
  type?: string | string[];
  $ref?: string;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  definitions?: Record<string, JsonSchema>;
};

const ISO_MILLIS = String.raw`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`;

/** What a lake column of a schema property must be: its type, and whether null is allowed. */
function lakeTypeOf(property: JsonSchema, root: JsonSchema): { types: LakeColumnType[]; nullable: boolean } {
  if (property.$ref !== undefined) {
    const name = property.$ref.replace('#/definitions/', '');
    return lakeTypeOf(root.definitions?.[name] ?? {}, root);
  }
  if (property.anyOf !== undefined) {
    const options = property.anyOf.map((option) => lakeTypeOf(option, root));
    const types = options.flatMap((option) => option.types);
    return { types: [...new Set(types)], nullable: options.some((option) => option.nullable) };
  }
  if (property.enum !== undefined) return { types: ['string'], nullable: false };
  const jsonTypes = Array.isArray(property.type) ? property.type : [property.type];
  const nullable = jsonTypes.includes('null');
  const [jsonType] = jsonTypes.filter((type) => type !== 'null');
  if (jsonType === undefined) return { types: [], nullable };
  const types: LakeColumnType[] =
    jsonType === 'string'
      ? [property.pattern === ISO_MILLIS ? 'timestamp' : 'string']
      : jsonType === 'integer'
        ? ['bigint', 'int']
        : jsonType === 'number'
          ? ['double']
          : jsonType === 'boolean'
            ? ['boolean']
            : [];
  return { types, nullable };
}

/** Each column fed from a schema property is of a compatible type, and required exactly when the property is. */
function expectColumnsMatch(
  columns: readonly LakeColumn[],
  properties: Record<string, JsonSchema>,
  required: readonly string[],
  root: JsonSchema,
) {
  for (const column of columns) {
    const property = properties[column.source];
    expect(property, `column ${column.name} (from ${column.source}) has no schema property`).toBeDefined();
    if (property === undefined) continue;
    const { types, nullable } = lakeTypeOf(property, root);
    expect(
      types,
      `column ${column.name} is ${column.type}, the schema says ${JSON.stringify(property)}`,
    ).toContain(column.type);
    const requiredNonNull = required.includes(column.source) && !nullable;
    expect(column.required, `column ${column.name} required ≠ schema`).toBe(requiredNonNull);
  }
}

const fromContract = (columns: readonly LakeColumn[]) =>
  columns.filter((column) => column.source !== 'ingest');
const sourcesOf = (columns: readonly LakeColumn[]) => fromContract(columns).map((column) => column.source);
const pairs = (columns: readonly LakeColumn[]) =>
  columns.map((column): [string, string] => [column.name, column.type]);

describe('the lake columns agree everywhere', () => {
  it('the Glue script compiles (python3 -m py_compile)', () => {
    expect(() => python(['-m', 'py_compile', SCRIPT])).not.toThrow();
  });

  it("the Glue script's column lists are the TypeScript columns, in order, with the same types", () => {
    const script = readScript();
    expect(script.TELEMETRY_COLUMNS).toEqual(pairs(TELEMETRY_COLUMNS));
    expect(script.COFFEE_COLUMNS).toEqual(pairs(COFFEE_COLUMNS));
    expect(script.PARTITION_COLUMNS).toEqual([...PARTITION_COLUMNS]);
  });

  it('every reading property of the telemetry schema has a column, and every column a property', () => {
    const root = telemetrySchema as JsonSchema;
    const reading = root.definitions?.reading ?? {};
    const readingProperties = reading.properties ?? {};
    const envelopeColumns = TELEMETRY_COLUMNS.filter((c) => c.source === 'deviceId' || c.source === 'bootId');
    const readingColumns = fromContract(TELEMETRY_COLUMNS).filter((c) => !envelopeColumns.includes(c));
    expect(readingColumns.map((c) => c.source).sort()).toEqual(Object.keys(readingProperties).sort());
    expectColumnsMatch(readingColumns, readingProperties, reading.required ?? [], root);
    expectColumnsMatch(envelopeColumns, root.properties ?? {}, root.required ?? [], root);
    // The script parses the readings with exactly these fields (timestamps as ISO strings).
    expect(readScript().readingFields.map(([field]) => field)).toEqual(readingColumns.map((c) => c.source));
  });

  it('every coffee record field has a column, and every column a field', () => {
    const root = coffeeRecordSchema as JsonSchema;
    const properties = root.properties ?? {};
    // v and type say which contract a record is; they are not data.
    const dataFields = Object.keys(properties).filter((field) => field !== 'v' && field !== 'type');
    expect(sourcesOf(COFFEE_COLUMNS).sort()).toEqual(dataFields.sort());
    expectColumnsMatch(fromContract(COFFEE_COLUMNS), properties, root.required ?? [], root);
    expect(readScript().coffeeFields.map(([field]) => field)).toEqual(sourcesOf(COFFEE_COLUMNS));
  });

  it('the transform emits exactly the columns plus the partition keys', () => {
    const envelope = {
      v: 1 as const,
      deviceId: 'coffee-pi-1',
      bootId: '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11',
      readings: [
        {
          seq: 1,
          ts: '2026-11-26T10:00:00.000Z',
          temperature: 31.2,
          humidity: 38.5,
          pressure: 1012.4,
          pitch: 1.2,
          roll: 358.9,
          yaw: 92.3,
        },
      ],
    };
    const eventId = '5f0c6f52-3a4d-4b8e-9c1d-2e3f4a5b6c7d';
    const coffee: CoffeeRecord = {
      ...UNKNOWN_FACE_ATTRIBUTES,
      v: 1,
      type: 'coffee',
      deviceId: 'coffee-pi-1',
      eventId,
      photoKey: `photos/coffee-pi-1/2026/11/26/${eventId}.jpg`,
      capturedAt: null,
      analyzedAt: '2026-11-26T10:00:03.000Z',
      status: 'missing',
      reason: 'gone',
      analyzer: null,
    };
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const arrivedAt = new Date('2026-11-26T10:00:05.000Z');
    const output = transformIngestRecords([
      { id: 't', data: encode(telemetryIngestRecord(envelope, envelope.deviceId)), arrivedAt },
      { id: 'c', data: encode(coffee), arrivedAt },
    ]);
    expect(output.rejected).toEqual([]);
    expect(Object.keys(output.telemetry[0] ?? {})).toEqual([
      ...TELEMETRY_COLUMNS.map((c) => c.name),
      ...PARTITION_COLUMNS,
    ]);
    expect(Object.keys(output.coffees[0] ?? {})).toEqual([
      ...COFFEE_COLUMNS.map((c) => c.name),
      ...PARTITION_COLUMNS,
    ]);
  });
});
