export { readCoffeeStats } from './coffee-stats.js';
export { CoffeeStatsDataError, InvalidStatsOptionsError } from './stats-errors.js';
export { DEFAULT_LATEST, MAX_LATEST, type StatsOptionNames, statsSelection } from './stats-options.js';
export type * from './stats-types.js';
