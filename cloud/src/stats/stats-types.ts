import type { CoffeeRecord } from '@coffee-iot/shared';

/** How often a yes/no attribute was seen. Unknown (null) rows are left out of `known`, never counted as "no". */
export interface AttributeStats {
  /** Rows where the analyzer could tell (the column is not null). */
  known: number;
  /** Rows where the attribute is true. */
  yes: number;
  /** yes / known; null when nothing is known, so "no data" never reads as 0 %. */
  rate: number | null;
}

export interface GroupStats {
  /** Every coffee row is one cup, whatever its analysis status. */
  cups: number;
  /** Rows with status 'analyzed'. */
  analyzed: number;
  withPerson: AttributeStats;
  smile: AttributeStats;
  eyeglasses: AttributeStats;
  sunglasses: AttributeStats;
  beard: AttributeStats;
  mustache: AttributeStats;
}

export type DeviceStats = GroupStats & { deviceId: string };

export interface DayCups {
  /** UTC day, yyyy-mm-dd. */
  day: string;
  cups: number;
}

/** One coffee as the dashboard shows it: where and when, the analysis outcome and every attribute. */
export type LatestCoffee = Omit<CoffeeRecord, 'v' | 'type'>;

export interface CoffeeStats {
  overall: GroupStats;
  /** Devices that have coffees in the selection, by device id. */
  perDevice: DeviceStats[];
  /** 24 entries: cups per UTC hour of the day (index 0 = 00:00–00:59 UTC). */
  cupsByHourOfDay: number[];
  /** Days with at least one cup, oldest first; days without coffees are absent. */
  cupsPerDay: DayCups[];
  /** Newest first (capture time, else analysis time). */
  latest: LatestCoffee[];
}

export interface CoffeeStatsOptions {
  /** Only this device's coffees. */
  deviceId?: string;
  /** First UTC day included, yyyy-mm-dd. */
  fromDay?: string;
  /** Last UTC day included, yyyy-mm-dd. */
  toDay?: string;
  /** How many of the newest coffees to list (default 10, 0 for none). */
  latest?: number;
}
