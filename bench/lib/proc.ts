import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

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

/** VmHWM: the most RSS the process has had since it started, or since resetPeakRss(). */
export function peakRssKb(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status (process gone?)`);
  return Number(match[1]);
}

/**
 * Resets VmHWM to the current RSS (writing 5 to /proc/PID/clear_refs, Linux ≥ 4.0), so a later
 * peakRssKb() is the peak since now, between samples too. false when not permitted.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
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

/**
 * Proportional set size (kB) from /proc/PID/smaps_rollup (Linux ≥ 4.14): RSS with each shared page
 * divided among the processes that map it, so two agents side by side are not both charged for the
 * node binary's pages. The figure the reference edge runtimes publish.
 */
export function pssKb(pid: number): number {
  const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  if (!match) throw new Error(`no Pss in /proc/${pid}/smaps_rollup (process gone?)`);
  return Number(match[1]);
}

/** One process's memory from /proc/PID/smaps_rollup, in kB. */
export interface MemorySample {
  /** performance.now() when sampled. */
  atMs: number;
  /** Proportional set size: shared pages divided among every process mapping them. */
  pssKb: number;
  /**
   * Unique set size (Private_Clean + Private_Dirty): the pages only this process maps, what
   * stopping it would free. Unlike PSS it does not fall when more node processes share the binary.
   */
  ussKb: number;
  rssKb: number;
}

/** PSS, USS and RSS in one read of /proc/PID/smaps_rollup (Linux ≥ 4.14). */
export function sampleMemory(pid: number): MemorySample {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup);
    if (!match) throw new Error(`no ${field} in /proc/${pid}/smaps_rollup (process gone?)`);
    return Number(match[1]);
  };
  return {
    atMs: performance.now(),
    pssKb: kb('Pss'),
    ussKb: kb('Private_Clean') + kb('Private_Dirty'),
    rssKb: kb('Rss'),
  };
}

/**
 * How many processes on the machine (every user's, as far as /proc shows them) run `command`
 * (their comm, e.g. "node"): each of them shares the binary's pages and so lowers every other's PSS.
 */
export function countProcesses(command: string): number {
  let count = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() === command) count += 1;
    } catch {
      // exited while we looked
    }
  }
  return count;
}
