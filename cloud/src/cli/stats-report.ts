import type { AttributeStats, CoffeeStats, GroupStats, LatestCoffee } from '../stats/stats-types.js';
import { type Align, formatTable, orDash, shortTime } from './text-table.js';

const BAR_WIDTH = 40;
const ATTRIBUTES = ['withPerson', 'smile', 'eyeglasses', 'sunglasses', 'beard', 'mustache'] as const;
const ATTRIBUTE_HEADERS = ['PERSON', 'SMILE', 'EYEGLASSES', 'SUNGLASSES', 'BEARD', 'MUSTACHE'];

/** "67% of 12": the rate over the cups where the analyzer could tell; '-' when it never could. */
function rate(stats: AttributeStats): string {
  return stats.rate === null ? '-' : `${Math.round(stats.rate * 100)}% of ${stats.known}`;
}

function groupRow(label: string, group: GroupStats): string[] {
  return [label, String(group.cups), String(group.analyzed), ...ATTRIBUTES.map((name) => rate(group[name]))];
}

function groups(stats: CoffeeStats): string {
  const align: Align[] = ['left', ...Array<Align>(2 + ATTRIBUTES.length).fill('right')];
  return formatTable(
    ['DEVICE', 'CUPS', 'ANALYZED', ...ATTRIBUTE_HEADERS],
    [...stats.perDevice.map((device) => groupRow(device.deviceId, device)), groupRow('all', stats.overall)],
    align,
  );
}

function bar(cups: number, most: number): string {
  return most === 0 ? '' : '#'.repeat(Math.max(cups > 0 ? 1 : 0, Math.round((cups / most) * BAR_WIDTH)));
}

function hours(stats: CoffeeStats): string {
  const most = Math.max(...stats.cupsByHourOfDay);
  return formatTable(
    ['HOUR', 'CUPS', ''],
    stats.cupsByHourOfDay.map((cups, hour) => [
      `${String(hour).padStart(2, '0')}:00`,
      String(cups),
      bar(cups, most),
    ]),
    ['left', 'right'],
  );
}

function days(stats: CoffeeStats): string {
  const most = Math.max(...stats.cupsPerDay.map((day) => day.cups));
  return formatTable(
    ['DAY', 'CUPS', ''],
    stats.cupsPerDay.map((day) => [day.day, String(day.cups), bar(day.cups, most)]),
    ['left', 'right'],
  );
}

function yesNo(value: boolean | null): string {
  return value === null ? '?' : value ? 'yes' : 'no';
}

function latestRow(coffee: LatestCoffee): string[] {
  return [
    shortTime(coffee.capturedAt ?? coffee.analyzedAt),
    coffee.deviceId,
    coffee.status,
    yesNo(coffee.personPresent),
    yesNo(coffee.smile),
    yesNo(coffee.eyeglasses),
    yesNo(coffee.sunglasses),
    yesNo(coffee.beard),
    yesNo(coffee.mustache),
    coffee.photoKey,
    orDash(coffee.reason),
  ];
}

function latest(coffees: readonly LatestCoffee[]): string {
  return formatTable(
    ['WHEN (UTC)', 'DEVICE', 'STATUS', ...ATTRIBUTE_HEADERS, 'PHOTO', 'REASON'],
    coffees.map(latestRow),
  );
}

/** The stats for a terminal: rates over known cups, '?' for what the analyzer could not tell. */
export function renderStats(stats: CoffeeStats): string {
  if (stats.overall.cups === 0) return 'no coffees in this selection\n';
  const sections = [
    `Cups and attributes (a rate is over the cups where the analyzer could tell):\n${groups(stats)}`,
    `Cups by hour of the day (UTC):\n${hours(stats)}`,
    `Cups per day (UTC):\n${days(stats)}`,
  ];
  if (stats.latest.length > 0)
    sections.push(`Latest ${stats.latest.length} coffees:\n${latest(stats.latest)}`);
  return sections.join('\n');
}
