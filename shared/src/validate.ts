import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { CoffeeRecord } from './coffee-record.js';
import { ContractValidationError } from './errors.js';
import coffeeEventSchema from './schemas/coffee-event-v1.schema.json' with { type: 'json' };
import coffeeRecordSchema from './schemas/coffee-record-v1.schema.json' with { type: 'json' };
import healthSchema from './schemas/health-v1.schema.json' with { type: 'json' };
import telemetrySchema from './schemas/telemetry-v1.schema.json' with { type: 'json' };
import type { CoffeeEvent, HealthMessage, TelemetryEnvelope } from './telemetry.js';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

// One Ajv instance for all contracts; allErrors so a bad message reports every problem at once.
// Created and compiled on first use: the device imports this package for topics and types
// and should not pay for validators it never runs.
let ajv: Ajv | undefined;
/** A schema's validator, compiled on first use by the one shared Ajv instance. */
export function compileContract<T>(schema: object): () => ValidateFunction<T> {
  let validator: ValidateFunction<T> | undefined;
  return () => {
    ajv ??= new Ajv({ allErrors: true, strict: true });
    validator ??= ajv.compile<T>(schema);
    return validator;
  };
}
const telemetryValidator = compileContract<TelemetryEnvelope>(telemetrySchema);
const healthValidator = compileContract<HealthMessage>(healthSchema);
const coffeeEventValidator = compileContract<CoffeeEvent>(coffeeEventSchema);
const coffeeRecordValidator = compileContract<CoffeeRecord>(coffeeRecordSchema);

/** Turns Ajv errors into "path: message" lines that name the offending field. */
export function describeAjvErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const path = error.instancePath === '' ? '(root)' : error.instancePath;
    if (error.keyword === 'additionalProperties') {
      return `${path}: unknown property "${String(error.params.additionalProperty)}"`;
    }
    if (error.keyword === 'enum' || error.keyword === 'const') {
      return `${path}: ${error.message} (${JSON.stringify(error.params)})`;
    }
    return `${path}: ${error.message ?? error.keyword}`;
  });
}

function check<T>(getValidator: () => ValidateFunction<T>, value: unknown): ValidationResult<T> {
  const validator = getValidator();
  if (validator(value)) return { ok: true, value };
  return { ok: false, problems: describeAjvErrors(validator.errors) };
}

export function validateTelemetryEnvelope(value: unknown): ValidationResult<TelemetryEnvelope> {
  return check(telemetryValidator, value);
}

export function validateHealthMessage(value: unknown): ValidationResult<HealthMessage> {
  return check(healthValidator, value);
}

export function validateCoffeeEvent(value: unknown): ValidationResult<CoffeeEvent> {
  return check(coffeeEventValidator, value);
}

export function validateCoffeeRecord(value: unknown): ValidationResult<CoffeeRecord> {
  return check(coffeeRecordValidator, value);
}

/** Parses a JSON payload and validates it; throws ContractValidationError naming every problem. */
export function parseTelemetryEnvelope(payload: string | Uint8Array): TelemetryEnvelope {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ContractValidationError('telemetry envelope v1', [`payload is not JSON: ${String(cause)}`]);
  }
  const result = validateTelemetryEnvelope(parsed);
  if (!result.ok) throw new ContractValidationError('telemetry envelope v1', result.problems);
  return result.value;
}

export { coffeeEventSchema, coffeeRecordSchema, healthSchema, telemetrySchema };
