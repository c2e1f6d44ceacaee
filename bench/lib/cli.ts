import { parseArgs } from 'node:util';
import { TRANSPORTS, type TransportUnderTest } from '../../test/src/harness/agent-config.js';

export interface BenchArgs {
  transports: TransportUnderTest[];
  minutes: number;
  /** catch-up: attach strace to mosquitto for broker-side publish times (off: --no-strace). */
  strace: boolean;
  /** Measure even when the 1-minute load average is above the core count (the output says so). */
  allowBusy: boolean;
  /** Flags for the agent's node, before its entry file (`--node-args=--no-opt`, as the unit's launcher). */
  nodeArgs: string[];
}

/** `--transport aws-crt|mqtt.js|both`, `--minutes N` (fractional allowed), `--no-strace`, `--allow-busy`. */
export function parseBenchArgs(defaults: {
  transport: 'both' | TransportUnderTest;
  minutes?: number;
}): BenchArgs {
  const { values } = parseArgs({
    options: {
      transport: { type: 'string', default: defaults.transport },
      minutes: { type: 'string', default: String(defaults.minutes ?? 0) },
      'no-strace': { type: 'boolean', default: false },
      'allow-busy': { type: 'boolean', default: false },
      'node-args': { type: 'string', default: '' },
    },
  });
  const transport = values.transport;
  const transports = transport === 'both' ? [...TRANSPORTS] : TRANSPORTS.filter((t) => t === transport);
  if (transports.length === 0) usage(`--transport must be aws-crt, mqtt.js or both (got ${transport})`);
  const minutes = Number(values.minutes);
  if (!(Number.isFinite(minutes) && minutes >= 0))
    usage(`--minutes must be a number ≥ 0 (got ${values.minutes})`);
  return {
    transports,
    minutes,
    strace: !values['no-strace'],
    allowBusy: values['allow-busy'],
    nodeArgs: values['node-args'].split(/\s+/).filter((a) => a !== ''),
  };
}

function usage(problem: string): never {
  console.error(problem);
  process.exit(2);
}
