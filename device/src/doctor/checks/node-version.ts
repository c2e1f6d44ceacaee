import { type CheckResult, fail, ok, warn } from '../check-result.js';

const NAME = 'node';
const FIX = 'install Node 24 (Node 22 on armv7l, which has no Node 24 build) from nodejs.org or NodeSource';

/** ≥ 22 is supported; 20 (≥ 20.11) still runs but is end-of-life; anything older is refused. */
export function checkNodeVersion(version: string): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  if (major >= 22) return ok(NAME, `Node ${version}`);
  if (major > 20 || (major === 20 && minor >= 11)) {
    return warn(NAME, `Node ${version} is end-of-life (Node 20: April 2026)`, FIX);
  }
  return fail(NAME, `Node ${version} is too old: the agent needs Node ≥ 20.11, and 22 or later`, FIX);
}
