/**
 * Orientation angles in [0, 360), the convention of the Python sense_hat library's
 * get_orientation_degrees(), which the original Pi publisher used: a level board reads
 * pitch≈0 or ≈359.9, never -0.1.
 */
export function normaliseDegrees(degrees: number): number {
  const wrapped = ((degrees % 360) + 360) % 360;
  // -1e-15 % 360 + 360 is 360 in floating point; keep the half-open interval.
  return wrapped === 360 ? 0 : wrapped;
}

export function radiansToDegrees(radians: number): number {
  return normaliseDegrees((radians * 180) / Math.PI);
}
