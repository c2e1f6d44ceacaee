/** The caller asked for something the stats cannot mean: a malformed day, a reversed range, a bad count. */
export class InvalidStatsOptionsError extends Error {
  override readonly name = 'InvalidStatsOptionsError';
}

/** The database returned something the stats cannot read (a bug or a hand-edited row), named precisely. */
export class CoffeeStatsDataError extends Error {
  override readonly name = 'CoffeeStatsDataError';
}
