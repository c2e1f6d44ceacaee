import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTicksFromStat, systemProcesses } from './process-identity.js';

describe('process identity', () => {
  it('reads the start time (field 22) after the command name, whatever that name holds', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21';
    expect(startTicksFromStat(`77 (node) ${rest}`)).toBe('424242');
    expect(startTicksFromStat(`77 (a) b (c) ${rest}`)).toBe('424242');
    expect(startTicksFromStat('77 (short) S 1 2')).toBeNull();
  });

  it.runIf(existsSync('/proc/self/stat'))('knows this process and its boot; a reaped pid is gone', () => {
    expect(systemProcesses.bootId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(systemProcesses.inspect(process.pid)?.startTicks).toMatch(/^\d+$/);
    // Above the kernel's pid_max (at most 2^22): no process can have it.
    expect(systemProcesses.inspect(2 ** 22 + 1)).toBeNull();
  });
});
