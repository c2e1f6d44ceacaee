import { InvalidStatsOptionsError } from './stats-errors.js';
import type { CoffeeStatsOptions } from './stats-types.js';

export const DEFAULT_LATEST = 10;
/** A dashboard page, not an export: more than this is a mistake. */
export const MAX_LATEST = 1000;

/** Which coffees the stats look at; days compare as text, which is why they must be exactly yyyy-mm-dd. */
export interface StatsSelection {
  deviceId: string | undefined;
  fromDay: string | undefined;
  toDay: string | undefined;
  latest: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function checkDay(name: string, value: string | undefined, problems: string[]): void {
  if (value === undefined) return;
  // Round-tripping through Date rejects 2026-02-30 as well as 2026-2-3.
  const valid = DAY.test(value) && new Date(`${value}T00:00:00.000Z`).toISOString().startsWith(value);
  if (!valid) problems.push(`${name} must be a UTC day as yyyy-mm-dd, got "${value}"`);
}

export type StatsOptionNames = Record<keyof CoffeeStatsOptions, string>;

const OPTION_NAMES: StatsOptionNames = {
  deviceId: 'deviceId',
  fromDay: 'fromDay',
  toDay: 'toDay',
  latest: 'latest',
};

/**
 * Validates the options and fills in defaults, naming every problem at once. `names` lets a caller
 * name the options its own way in the messages (the CLI says --from, not fromDay).
 */
export function statsSelection(
  options: CoffeeStatsOptions = {},
  names: StatsOptionNames = OPTION_NAMES,
): StatsSelection {
  const problems: string[] = [];
  const { deviceId, fromDay, toDay } = options;
  const latest = options.latest ?? DEFAULT_LATEST;
  if (deviceId !== undefined && deviceId.trim() === '') problems.push(`${names.deviceId} must not be empty`);
  checkDay(names.fromDay, fromDay, problems);
  checkDay(names.toDay, toDay, problems);
  if (problems.length === 0 && fromDay !== undefined && toDay !== undefined && fromDay > toDay) {
    problems.push(`${names.fromDay} (${fromDay}) is after ${names.toDay} (${toDay})`);
  }
  if (!Number.isInteger(latest) || latest < 0 || latest > MAX_LATEST) {
    problems.push(`${names.latest} must be a whole number from 0 to ${MAX_LATEST}, got ${latest}`);
  }
  if (problems.length > 0)
    throw new InvalidStatsOptionsError(`invalid stats options: ${problems.join('; ')}`);
  return { deviceId, fromDay, toDay, latest };
}
