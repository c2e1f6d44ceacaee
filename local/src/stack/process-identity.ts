import { readFileSync } from 'node:fs';

/**
 * What the operating system says about processes, enough to tell whether the process behind a
 * pid is the one that wrote a lock: pids are reused, so "a process with this pid is alive" is not.
 */
export interface ProcessInspector {
  /** This boot's id (Linux: /proc/sys/kernel/random/boot_id), or null where the OS does not say. */
  bootId(): string | null;
  /**
   * null when no process has this pid; otherwise its start time in clock ticks since boot
   * (Linux: field 22 of /proc/PID/stat), or null where the OS does not say.
   */
  inspect(pid: number): { startTicks: string | null } | null;
}

/** Linux reads /proc; elsewhere only "alive or not" is known (signal 0). */
export const systemProcesses: ProcessInspector = {
  bootId() {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      return null;
    }
  },
  inspect(pid) {
    if (!processAlive(pid)) return null;
    try {
      return { startTicks: startTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) };
    } catch {
      // No /proc (macOS), or the process exited between the two looks.
      return processAlive(pid) ? { startTicks: null } : null;
    }
  },
};

/**
 * Field 22 (starttime) of /proc/PID/stat. Field 2 is the command name in parentheses and may
 * itself hold spaces and parentheses, so counting starts after the last ')'.
 */
export function startTicksFromStat(stat: string): string | null {
  const fields = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const value = fields[19];
  return value !== undefined && /^\d+$/.test(value) ? value : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
