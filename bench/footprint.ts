/**
 * Footprint: the agent at 1 Hz (mock sensors → local mosquitto) beside a bare `node` process,
 * both sampled every 5 s from /proc. Goals (issue 2): RSS ≤ 70 MB, average CPU ≤ 1 % of one
 * core, no upward RSS trend. Run: see bench/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentConfigFor, type TransportUnderTest } from '../test/src/harness/agent-config.js';
import { AGENT_BIN, AgentProcess } from '../test/src/harness/agent-process.js';
import { parseBenchArgs } from './lib/cli.js';
import {
  type Footprint,
  MIN_TREND_SPAN_SECONDS,
  risesSignificantly,
  summarise,
  TREND_LIMIT_MB_PER_HOUR,
} from './lib/footprint-stats.js';
import { findChild, type ProcSample, sampleProc } from './lib/proc.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { startStack, TELEMETRY, THING } from './lib/stack.js';

const SAMPLE_EVERY_MS = 5000;
const GOAL = { rssMb: 70, cpuPercent: 1 };

const args = parseBenchArgs({ transport: 'aws-crt', minutes: 5 });
if (args.minutes * 60_000 < 2 * SAMPLE_EVERY_MS) {
  console.error(
    `--minutes must cover at least 3 samples (≥ ${((2 * SAMPLE_EVERY_MS) / 60_000).toFixed(2)} min)`,
  );
  process.exit(2);
}
const runs = [];
for (const transport of args.transports) runs.push(await measure(transport, args.minutes));

const rows = runs.flatMap((r) =>
  (['agent', 'bare node'] as const).map((who) => {
    const f = who === 'agent' ? r.agent : r.bareNode;
    return [
      `${r.transport} ${who}`,
      fixed(f.rssMb.min),
      fixed(f.rssMb.median),
      fixed(f.rssMb.max),
      `${fixed(f.rssAnonMb)} / ${fixed(f.rssFileMb)}`,
      fixed(f.cpuPercent, 2),
      fixed(f.startupCpuSeconds, 2),
      `${fixed(f.trendMbPerHour)} ± ${fixed(2 * f.trendStderrMbPerHour)}`,
    ];
  }),
);
printTable(
  `Footprint at 1 Hz over ${args.minutes} min, sampled every ${SAMPLE_EVERY_MS / 1000} s (RSS in MB, CPU in % of one core)`,
  [
    'process',
    'RSS min',
    'median',
    'max',
    'anon / file',
    'CPU %',
    'start-up CPU s',
    'RSS trend MB/h (2nd half, ±2 SE)',
  ],
  rows,
);
printTable(
  'Goals (agent)',
  [
    'transport',
    `RSS ≤ ${GOAL.rssMb} MB`,
    `CPU ≤ ${GOAL.cpuPercent} %`,
    `no trend > ${TREND_LIMIT_MB_PER_HOUR} MB/h`,
    'readings received',
  ],
  runs.map((r) => [
    r.transport,
    verdict(r.agent.rssMb.max <= GOAL.rssMb),
    verdict(r.agent.cpuPercent <= GOAL.cpuPercent),
    trendVerdict(risesSignificantly(r.agent)),
    `${r.messagesReceived} in ${fixed(r.sampledSeconds, 0)} s`,
  ]),
);
printJsonLine({
  bench: 'footprint',
  minutes: args.minutes,
  sampleEveryMs: SAMPLE_EVERY_MS,
  goal: GOAL,
  runs,
});

function trendVerdict(rises: boolean | null): string {
  return rises === null ? `n/a (needs --minutes ≥ ${(2 * MIN_TREND_SPAN_SECONDS) / 60})` : verdict(!rises);
}

async function measure(transport: TransportUnderTest, minutes: number) {
  const stack = await startStack();
  let bare: ChildProcess | undefined;
  try {
    const stateDir = join(stack.workDir, 'state');
    // Production timings rather than the test harness's short keep-alive.
    const config = agentConfigFor(stack.broker, THING, stateDir, transport, { keepAliveSeconds: 30 });
    const agent = await AgentProcess.withConfig(stack.workDir, config);
    agent.start();
    // The node process running the agent itself (AgentProcess spawns node directly, no wrapper).
    const agentPid = findChild([AGENT_BIN, agent.configPath]);
    bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '' },
    });
    const barePid = bare.pid as number;
    await stack.subscriber.waitForCount(TELEMETRY, 1, 20_000);
    const before = stack.subscriber.payloadsOn(TELEMETRY).length;
    note(
      `${transport}: agent pid ${agentPid} publishing, bare node pid ${barePid}; sampling for ${minutes} min`,
    );

    const agentSamples: ProcSample[] = [];
    const bareSamples: ProcSample[] = [];
    const started = performance.now();
    for (let i = 0; i * SAMPLE_EVERY_MS <= minutes * 60_000; i += 1) {
      await sleep(started + i * SAMPLE_EVERY_MS - performance.now());
      agentSamples.push(sampleProc(agentPid));
      bareSamples.push(sampleProc(barePid));
    }
    const sampledSeconds = (performance.now() - started) / 1000;
    const messagesReceived = stack.subscriber.payloadsOn(TELEMETRY).length - before;
    const { code } = await agent.terminate();
    return {
      transport,
      agentPid,
      agentExitCode: code,
      sampledSeconds,
      messagesReceived,
      agent: summarise(agentSamples) satisfies Footprint,
      bareNode: summarise(bareSamples) satisfies Footprint,
      agentRssKb: agentSamples.map((s) => s.rssKb),
      agentWarnings: agent.logs.filter((line) => line.level >= 40 && line.msg !== 'configuration warning'),
    };
  } finally {
    if (bare && bare.exitCode === null) {
      const exited = once(bare, 'exit');
      bare.kill('SIGTERM');
      await exited;
    }
    await stack.cleanup();
  }
}
