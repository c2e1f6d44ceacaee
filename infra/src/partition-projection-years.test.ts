import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it, vi } from 'vitest';
// Not exported from '@coffee-iot/cloud/lake': the partition columns.
import { PARTITION_COLUMNS } from '../../cloud/src/lake/columns.js';
import { CoffeeIotStack } from './coffee-iot-stack.js';
import { StackConfigError } from './stack-config.js';

// The Lambda code is not bundled: only the catalog is read here.
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** The whole template of the stack, synthesized as if the clock read `now`. */
function synthAt(now: string, context: Record<string, unknown> = {}): Record<string, unknown> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(now));
  try {
    const app = new App({ context: { ...NO_BUNDLING, ...context } });
    const stack = new CoffeeIotStack(app, 'CoffeeIot', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    return Template.fromStack(stack).toJSON();
  } finally {
    vi.useRealTimers();
  }
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The raw Glue tables' projection parameters (the views have none). */
function projections(template: Record<string, unknown>): Record<string, string>[] {
  return Object.values(template.Resources as Resources)
    .filter((r) => r.Type === 'AWS::Glue::Table')
    .map((r) => (r.Properties.TableInput as { Parameters: Record<string, string> }).Parameters)
    .filter((p) => p['projection.enabled'] === 'true');
}

/** Whether Athena's integer projection reaches the partition ingest_year=…/…/ingest_hour=…. */
function projects(parameters: Record<string, string>, partition: Record<string, string>): boolean {
  return PARTITION_COLUMNS.every((column) => {
    const value = partition[column] ?? '';
    if (parameters[`projection.${column}.type`] !== 'integer') return false;
    const [low, high] = (parameters[`projection.${column}.range`] ?? '').split(',').map(Number);
    const digits = Number(parameters[`projection.${column}.digits`] ?? '1');
    const number = Number(value);
    return (
      value === String(number).padStart(digits, '0') && number >= (low ?? NaN) && number <= (high ?? NaN)
    );
  });
}

const hourOf = (iso: string) => ({
  ingest_year: iso.slice(0, 4),
  ingest_month: iso.slice(5, 7),
  ingest_day: iso.slice(8, 10),
  ingest_hour: iso.slice(11, 13),
});

describe('partition projection years', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not depend on the day of the synth: January of a later year gives the same template', () => {
    const first = synthAt('2024-06-15T12:00:00.000Z');
    const january = synthAt('2031-01-05T00:30:00.000Z');
    expect(projections(first)).toHaveLength(2);
    expect(january).toEqual(first);
  }, 120_000);

  it('covers every year from the first (2024 by default) across a year change', () => {
    const template = synthAt('2031-01-05T00:30:00.000Z');
    for (const parameters of projections(template)) {
      expect(parameters['projection.ingest_year.range']).toMatch(/^2024,/);
      for (const iso of [
        '2024-01-01T00:00:00Z',
        '2026-12-31T23:00:00Z',
        '2030-12-31T23:00:00Z',
        '2031-01-01T00:00:00Z',
        '2031-01-05T00:00:00Z',
        '2040-07-04T12:00:00Z',
      ]) {
        expect(projects(parameters, hourOf(iso)), iso).toBe(true);
      }
      expect(projects(parameters, hourOf('2023-12-31T23:00:00Z'))).toBe(false);
    }
  }, 120_000);

  it('starts at the context’s coffee-iot:firstYear', () => {
    const template = synthAt('2031-01-05T00:30:00.000Z', { 'coffee-iot:firstYear': '2026' });
    for (const parameters of projections(template)) {
      expect(parameters['projection.ingest_year.range']).toMatch(/^2026,/);
      expect(projects(parameters, hourOf('2025-12-31T23:00:00Z'))).toBe(false);
      expect(projects(parameters, hourOf('2026-01-01T00:00:00Z'))).toBe(true);
    }
  }, 120_000);

  it('refuses a firstYear that is not a year, naming the context key', () => {
    for (const bad of ['2024x', 1999, 2101, 2024.5]) {
      const app = new App({ context: { 'coffee-iot:firstYear': bad } });
      expect(() => new CoffeeIotStack(app, 'Bad')).toThrow(StackConfigError);
      expect(() => new CoffeeIotStack(new App({ context: { 'coffee-iot:firstYear': bad } }), 'Bad')).toThrow(
        /coffee-iot:firstYear/,
      );
    }
  });
});
