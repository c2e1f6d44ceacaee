import { availableParallelism, loadavg } from 'node:os';
import { fixed } from './report.js';

/** The machine's load when a figure was taken: a figure taken on a busy machine says so. */
export interface MachineLoad {
  /** 1, 5 and 15-minute load averages (os.loadavg()). */
  loadavg: number[];
  cores: number;
  /** The 1-minute load average above the core count: other work competed for the CPUs. */
  busy: boolean;
}

export class MachineBusyError extends Error {
  override readonly name = 'MachineBusyError';
}

export function machineLoad(): MachineLoad {
  const averages = loadavg();
  const cores = availableParallelism();
  return { loadavg: averages, cores, busy: (averages[0] ?? 0) > cores };
}

export function describeLoad(load: MachineLoad): string {
  return `load average ${load.loadavg.map((l) => fixed(l, 2)).join(' ')} on ${load.cores} cores${load.busy ? ' (BUSY: above the core count)' : ''}`;
}

/**
 * Before a run: refuses (MachineBusyError) when the 1-minute load average exceeds the core count,
 * unless the caller allows it, in which case the result must carry the load (see describeLoad).
 */
export function refuseIfBusy(allowBusy: boolean, retryFlag: string): MachineLoad {
  const load = machineLoad();
  if (load.busy && !allowBusy) {
    throw new MachineBusyError(
      `${describeLoad(load)}: wait for the machine to quieten, or pass ${retryFlag} to measure anyway (the output then says so)`,
    );
  }
  return load;
}
