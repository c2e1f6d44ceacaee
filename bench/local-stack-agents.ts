/**
 * How heavy `npm start -- --devices N` is: N real agents (mock sensors, mock camera) in the
 * fleet process against the local stack in this process. Prints the fleet's and the stack's CPU
 * (share of one core, from /proc) and the fleet's RSS over a steady window, and the readings per
 * second the lake took (N/s when nothing is skipped). Baseline: the smallest N of the run.
 *
 * Run: node --conditions=coffee-iot-source --import tsx bench/local-stack-agents.ts [--devices 100,500] [--seconds 40]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createLogger } from '../device/src/ports/logger.js';
import { startLocalStack } from '../local/src/stack/local-stack.js';
import { DEFAULT_STACK_OPTIONS } from '../local/src/stack/stack-options.js';
import { fixed, note, printJsonLine, printTable } from './lib/report.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '100,500' }, seconds: { type: 'string', default: '40' } },
});
const sizes = values.devices.split(',').map(Number);
const seconds = Number(values.seconds);
const ROOT = resolve('.local/bench-agents');
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** user + system CPU seconds of a process, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

interface AgentsResult {
  devices: number;
  startSeconds: number;
  fleetCpuPercent: number;
  stackCpuPercent: number;
  fleetRssMb: number;
  readingsPerSecond: number;
}

async function run(devices: number): Promise<AgentsResult> {
  // Keys are kept between runs (generating them is not what is measured); state is not.
  const dataDir = join(ROOT, `fleet-${devices}`);
  await rm(join(dataDir, 'devices'), { recursive: true, force: true });
  const started = performance.now();
  const stack = await startLocalStack(
    {
      ...DEFAULT_STACK_OPTIONS,
      dataDir,
      devices,
      brokerPort: 0,
      s3Port: 0,
      kinesisPort: 0,
      dashboardPort: 0,
      controlPort: 0,
    },
    () => undefined,
    createLogger('error'),
  );
  const startSeconds = (performance.now() - started) / 1000;
  try {
    const fleetPid = Number(execFileSync('pgrep', ['-n', '-f', '[f]leet-main']).toString().trim());
    await sleep(10_000); // past the start-up
    const fleet0 = cpuSeconds(fleetPid);
    const stack0 = cpuSeconds(process.pid);
    const records0 = stack.counters().lake.recordsWritten;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    return {
      devices,
      startSeconds,
      fleetCpuPercent: ((cpuSeconds(fleetPid) - fleet0) / elapsed) * 100,
      stackCpuPercent: ((cpuSeconds(process.pid) - stack0) / elapsed) * 100,
      fleetRssMb: rssMb(fleetPid),
      readingsPerSecond: (stack.counters().lake.recordsWritten - records0) / elapsed,
    };
  } finally {
    await stack.stop();
  }
}

const results: AgentsResult[] = [];
for (const devices of sizes) {
  note(`${devices} real agents, ${seconds} s steady…`);
  results.push(await run(devices));
}
const base = results[0] as AgentsResult;
printTable(
  `npm start -- --devices N: real agents in mock-hardware mode, ${seconds} s steady window`,
  ['devices', 'start s', 'fleet CPU %', 'stack CPU %', 'fleet RSS MB', 'readings/s', 'CPU × base'],
  results.map((r) => [
    r.devices,
    fixed(r.startSeconds),
    fixed(r.fleetCpuPercent, 0),
    fixed(r.stackCpuPercent, 0),
    fixed(r.fleetRssMb, 0),
    fixed(r.readingsPerSecond, 0),
    fixed(r.fleetCpuPercent / base.fleetCpuPercent, 2),
  ]),
);
printJsonLine({ bench: 'local-stack-agents', seconds, results });
