/**
 * Reads a Lambda's or CLI's environment through one declaration, and reports every missing or
 * malformed variable at once (like the agent's config), naming each and the form it expects.
 */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid environment: ${problems.join('; ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** A required non-empty string. */
  string(name: string): string {
    const value = this.env[name];
    if (value === undefined || value.trim() === '') {
      this.problems.push(`${name} is required`);
      return '';
    }
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  /** A number within [min, max]; `fallback` when unset. */
  number(name: string, fallback: number, range: { min: number; max: number }): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < range.min || value > range.max) {
      this.problems.push(`${name} must be a number from ${range.min} to ${range.max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** `true`/`false` (also 1/0, yes/no); `fallback` when unset. */
  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  }

  /** Records a problem a caller found across variables (two that exclude each other, say). */
  problem(text: string): void {
    this.problems.push(text);
  }

  /** Throws EnvironmentError naming every problem seen by the reads above. */
  done(): void {
    if (this.problems.length > 0) throw new EnvironmentError(this.problems);
  }
}
