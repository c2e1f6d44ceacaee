import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/PID/stat. */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

export interface ProcSample {
  /** performance.now() when sampled. */
  atMs: number;
  rssKb: number;
  /** The anonymous (heap, stacks) and file-backed (code, shared libraries) parts of rssKb. */
  rssAnonKb: number;
  rssFileKb: number;
  /** utime + stime of every thread, in clock ticks. */
  cpuTicks: number;
}

/** RSS (VmRSS) and CPU time of one process, from /proc. */
export function sampleProc(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} in /proc/${pid}/status (process gone?)`);
    return Number(match[1]);
  };
  const fields = statFields(pid);
  // After "pid (comm)": state is field 3, utime field 14, stime field 15 (1-based, proc(5)).
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return {
    atMs: performance.now(),
    rssKb: kb('VmRSS'),
    rssAnonKb: kb('RssAnon'),
    rssFileKb: kb('RssFile'),
    cpuTicks: utime + stime,
  };
}

/** Fields of /proc/PID/stat after the "(comm)", which may itself contain spaces. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** argv of a process (NUL-separated in /proc/PID/cmdline). */
export function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((arg) => arg !== '');
}

/**
 * The one direct child of this process whose argv contains every `args` entry: how the bench finds
 * the PID of a process a harness spawned (the process itself, not a shell or wrapper).
 */
export function findChild(args: readonly string[]): number {
  const matches = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const ppid = Number(statFields(pid)[1]);
        const argv = commandLine(pid);
        return ppid === process.pid && args.every((arg) => argv.includes(arg));
      } catch {
        return false; // exited while we looked
      }
    });
  if (matches.length !== 1)
    throw new Error(`expected one child with ${args.join(' ')}, found ${matches.length}`);
  return matches[0] as number;
}
