import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../constructs/coffee-lambda.js';
import {
  batchingTable,
  differencesTable,
  everyLineTable,
  goalFigures,
  perDeviceTable,
  summaryTable,
  type Table,
} from './cost-tables.js';
import { CostScenarioError, monthlyCost } from './monthly-cost.js';

/** Every table row of the document, as trimmed cells (the formatter pads them). */
function documentRows(): Set<string> {
  const text = readFileSync(`${REPO_ROOT}docs/costs.md`, 'utf8');
  const rows = text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim())
        .join(' | '),
    );
  return new Set(rows);
}

describe('docs/costs.md', () => {
  const rows = documentRows();
  it.each([
    ['the summary', summaryTable()],
    ['the per-device table', perDeviceTable()],
    ['every line of the default deployment', everyLineTable()],
    ['what the other paths and the fleet profile change', differencesTable()],
    ['the batching lines', batchingTable()],
  ] as [string, Table][])('prints %s exactly as the model computes it', (_name, table) => {
    const missing = [table.header, ...table.rows]
      .map((cells) => cells.join(' | '))
      .filter((row) => !rows.has(row));
    // Regenerate with: node --import tsx infra/src/costs/print-cost-tables.ts
    expect(missing).toEqual([]);
  });
});

describe('the goals in docs/costs.md', () => {
  it('quotes the figures the model computes', () => {
    const text = readFileSync(`${REPO_ROOT}docs/costs.md`, 'utf8');
    const goals = goalFigures();
    expect(text).toContain(
      `costs **$${goals.oneDeviceCoffeeAnHour.toFixed(2)}** a month in the default deployment`,
    );
    expect(text).toContain(`$${goals.oneDeviceCoffeeAnHourBatched.toFixed(2)} with`);
    expect(text).toContain(`cost **$${goals.perDeviceAt10k.toFixed(2)}** per device-month`);
  });
});

describe('the cost model', () => {
  it('meets the goals: one device with a coffee an hour ≤ $20, 10,000 batched devices ≤ $0.60 each', () => {
    const goals = goalFigures();
    expect(goals.oneDeviceCoffeeAnHour).toBeLessThanOrEqual(20);
    expect(goals.perDeviceAt10k).toBeLessThanOrEqual(0.6);
  });

  it('bills no Kinesis on the direct path and both delivery streams for every record from the stream', () => {
    const line = (path: 'direct' | 'stream', name: string) =>
      monthlyCost({ devices: 100, batchSeconds: 0, path, profile: 'small' }).lines.find(
        (l) => l.line === name,
      )?.usd;
    expect(line('direct', 'Kinesis shard-hours')).toBe(0);
    expect(line('stream', 'Kinesis shard-hours')).toBeCloseTo(10.95, 2);
    expect(line('stream', 'Firehose')).toBeCloseTo(2 * (line('direct', 'Firehose') ?? 0), -1);
  });

  it('puts the fixed costs of the fleet profile in front of one device: database, proxy, NAT', () => {
    const small = monthlyCost({ devices: 1, batchSeconds: 0, path: 'direct', profile: 'small' }).total;
    const fleet = monthlyCost({ devices: 1, batchSeconds: 0, path: 'direct', profile: 'fleet' }).total;
    expect(fleet - small).toBeGreaterThan(43.8 + 87.6 + 36.5 - 5);
  });

  it('adds its lines up to its total', () => {
    const month = monthlyCost({ devices: 10_000, batchSeconds: 60, path: 'glue', profile: 'fleet' });
    expect(month.total).toBeCloseTo(
      month.lines.reduce((sum, line) => sum + line.usd, 0),
      6,
    );
    for (const line of month.lines) expect(line.usd).toBeGreaterThanOrEqual(0);
  });

  it('refuses a fleet size or a batching it has no assumptions or measurement for', () => {
    expect(() => monthlyCost({ devices: 50, batchSeconds: 0, path: 'direct', profile: 'small' })).toThrow(
      CostScenarioError,
    );
    expect(() => monthlyCost({ devices: 1, batchSeconds: 30, path: 'direct', profile: 'small' })).toThrow(
      /no measured envelope for batchSeconds 30/,
    );
  });
});
