/**
 * The Firehose transformation Lambda's work per invocation, without AWS: readings per CPU-second
 * of handleFirehoseEvent over Firehose events of about 1 MB (the delivery streams' Lambda buffer),
 * for this checkout and for another one (the base of a change), in the same run: rounds alternate
 * between the two, each in a child process of its own, so both see the same machine load.
 * Each side builds its events with its own fixture builder (what its topic rule would put on the
 * stream: the current rule adds `thing`), with every optional sensor field (the largest real
 * shape), readings packed 1 per record (live) and 100 per record (catch-up); no reading is bad,
 * the common case. The re-ingester and the error sink are in memory, the logger silent.
 * Run:
 *   node --conditions=coffee-iot-source --import tsx bench/firehose-transform.ts --base /tmp/fh-base [--rounds R] [--readings N]
 * The base is a git worktree of the base commit whose node_modules resolve @coffee-iot/* to its
 * own workspaces (bench/README.md says how to make one).
 *
 * With --python instead of --base: this checkout against seed 004's transform in Python
 * (bench/seed-transform.py: base64, json.loads, CSV lines, base64, Ok, nothing checked) on the
 * SAME events, which this process writes to JSON files once per shape (1, 10 and 100 readings
 * per record); rounds alternate between the two sides, each a child process measuring its own
 * CPU time (process.cpuUsage, time.process_time). Refuses to run when the 1-minute load average
 * is above the core count, unless --allow-busy (the output then says so).
 * Ours runs with the transformation Lambda's NODE_OPTIONS (FIREHOSE_TRANSFORM_NODE_OPTIONS), as
 * deployed; --node-flags= measures it without, --node-flags='…' with others.
 *   node --conditions=coffee-iot-source --import tsx bench/firehose-transform.ts --python [--rounds R] [--readings N] [--allow-busy] [--node-flags=--max-semi-space-size=64]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FIREHOSE_TRANSFORM_NODE_OPTIONS } from '../cloud/src/lake/firehose/node-options.js';
import { startClock } from './lib/cpu-clock.js';
import { describeLoad, machineLoad, refuseIfBusy } from './lib/machine-load.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    // Against seed 004's Python transform instead of a base checkout.
    python: { type: 'boolean', default: false },
    'allow-busy': { type: 'boolean', default: false },
    // Our child's NODE_OPTIONS. By default the transformation Lambda's own (infra sets them), so
    // that ours is measured as deployed; --node-flags= (empty) measures plain node, and any other
    // value (e.g. --max-semi-space-size=64) is printed with the figures.
    'node-flags': { type: 'string' },
    rounds: { type: 'string', default: '5' },
    readings: { type: 'string', default: '200000' },
    // Child mode: measure one side once and print its JSON line.
    child: { type: 'string' },
    'per-record': { type: 'string' },
    // Child mode with --python: the events file the parent wrote.
    events: { type: 'string' },
  },
});

const GOAL_RATIO = 0.9;
const EVENT_BYTES = 1_000_000;
const DEVICES = 20;
const SHAPES = [1, 100];
const PYTHON_SHAPES = [1, 10, 100];
/** Issue 16: ours at least twice seed 004's Python transform per CPU-second, live shape. */
const PYTHON_GOAL_RATIO = 2;
const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

interface ChildResult {
  readings: number;
  rows: number;
  events: number;
  cpuMs: number;
  wallMs: number;
}

type FirehoseEvent = {
  invocationId: string;
  records: {
    recordId: string;
    approximateArrivalTimestamp: number;
    data: string;
    kinesisRecordMetadata: object;
  }[];
};

/** Firehose events of about EVENT_BYTES of records each, devices round-robin, built with `root`'s fixtures. */
async function buildEvents(root: string, perRecord: number, readings: number): Promise<FirehoseEvent[]> {
  const module = (path: string) => import(pathToFileURL(join(root, path)).href);
  const { fullReading, telemetryIngestJson } = await module('cloud/src/testing/ingest-records.ts');
  const boot = '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11';
  const first = Date.UTC(2026, 10, 26, 8);
  // A day later: every reading is in the past (the current side refuses readings from the future).
  const arrival = first + 86_400_000;
  const events: FirehoseEvent[] = [];
  const seqs = new Array<number>(DEVICES).fill(0);
  let made = 0;
  let current: FirehoseEvent['records'] = [];
  let bytes = 0;
  for (let r = 0; made < readings; r += 1) {
    const device = r % DEVICES;
    const deviceId = `coffee-pi-${device + 1}`;
    const count = Math.min(perRecord, readings - made);
    const batch = Array.from({ length: count }, () => {
      seqs[device] = (seqs[device] ?? 0) + 1;
      return fullReading(seqs[device] ?? 0, first);
    });
    const json: string = telemetryIngestJson(deviceId, boot, batch);
    const sequenceNumber = `49546986683135544286507457936321625675700192471156${String(r).padStart(6, '0')}`;
    current.push({
      recordId: `${sequenceNumber}000000000000`,
      approximateArrivalTimestamp: arrival,
      data: Buffer.from(json).toString('base64'),
      kinesisRecordMetadata: {
        shardId: 'shardId-000000000000',
        partitionKey: deviceId,
        approximateArrivalTimestamp: arrival,
        sequenceNumber,
        subsequenceNumber: '0',
      },
    });
    bytes += json.length;
    made += count;
    if (bytes >= EVENT_BYTES || made >= readings) {
      events.push({
        invocationId: `bench-${events.length}`,
        records: current,
        ...{
          sourceKinesisStreamArn: 'arn:aws:kinesis:eu-west-1:111122223333:stream/coffee-iot-ingest',
          deliveryStreamArn:
            'arn:aws:firehose:eu-west-1:111122223333:deliverystream/coffee-iot-lake-telemetry',
          region: 'eu-west-1',
        },
      });
      current = [];
      bytes = 0;
    }
  }
  return events;
}

/** One side: warms up once over `events` (checking every reading became a row), measures one pass. */
async function measureEvents(root: string, events: FirehoseEvent[], readings: number): Promise<ChildResult> {
  const module = (path: string) => import(pathToFileURL(join(root, path)).href);
  const { handleFirehoseEvent } = await module('cloud/src/lake/firehose/handle-firehose-event.ts');
  const { silentLogger } = await module('cloud/src/logging/logger.ts');
  const files = new Map<string, string>();
  const deps = {
    config: { table: 'telemetry', maxReingests: 3, partitionKeys: true, lakeBucket: 'lake' },
    reingesterFor: () => ({ target: 'memory', canTake: () => true, reingest: async () => {} }),
    logger: silentLogger(),
    // The current side's; the base ignores them.
    errorSink: { target: 'memory', write: async (key: string, body: string) => void files.set(key, body) },
    writeMetrics: () => {},
  };
  /** One pass over every event; `check` counts the rows answered (not in the measured pass). */
  const run = async (check: boolean): Promise<number> => {
    let rows = 0;
    for (const event of events) {
      const result = await handleFirehoseEvent(event, deps);
      if (!check) continue;
      for (const record of result.records as { result: string; data: string }[]) {
        if (record.result !== 'Ok') throw new Error(`a record was answered ${record.result}`);
        // Rows are newline-terminated JSON lines.
        rows += Buffer.from(record.data, 'base64').toString('utf8').split('\n').length - 1;
      }
    }
    return rows;
  };
  // Warm-up (JIT, Ajv's compiled validators) that also proves every reading became a row.
  const rows = await run(true);
  if (rows !== readings) throw new Error(`${rows} rows for ${readings} readings`);
  const clock = startClock();
  await run(false);
  const { cpuMs, wallMs } = clock.stop();
  if (files.size > 0) throw new Error('no reading is bad, yet errors were written');
  return { readings, rows, events: events.length, cpuMs, wallMs };
}

if (values.child !== undefined) {
  const readings = Number(values.readings);
  const events =
    values.events === undefined
      ? await buildEvents(values.child, Number(values['per-record']), readings)
      : (JSON.parse(readFileSync(values.events, 'utf8')) as FirehoseEvent[]);
  const result = await measureEvents(values.child, events, readings);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** This checkout against seed 004's Python transform, on the same events. */
async function againstPython(): Promise<void> {
  const load = refuseIfBusy(values['allow-busy'], '--allow-busy');
  const readings = Number(values.readings);
  const rounds = Number(values.rounds);
  const nodeOptions = values['node-flags'] ?? FIREHOSE_TRANSFORM_NODE_OPTIONS;
  const dir = mkdtempSync(join(tmpdir(), 'fh-vs-python-'));
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    for (const perRecord of PYTHON_SHAPES) {
      const file = join(dir, `events-${perRecord}.json`);
      writeFileSync(file, JSON.stringify(await buildEvents(REPO, perRecord, readings)));
      const runs: { ours: ChildResult[]; python: ChildResult[] } = { ours: [], python: [] };
      const runSide = (side: 'ours' | 'python'): ChildResult => {
        const [command, args] =
          side === 'python'
            ? ['python3', [join(REPO, 'bench/seed-transform.py'), file]]
            : [
                process.execPath,
                [
                  '--conditions=coffee-iot-source',
                  '--import',
                  'tsx',
                  fileURLToPath(import.meta.url),
                  '--child',
                  REPO,
                  '--events',
                  file,
                  '--readings',
                  String(readings),
                ],
              ];
        const out = execFileSync(command as string, args as string[], {
          cwd: REPO,
          // As the Lambda gets them: NODE_OPTIONS.
          env: side === 'ours' ? { ...process.env, NODE_OPTIONS: nodeOptions } : process.env,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const result = JSON.parse(out) as ChildResult;
        if (result.readings !== readings)
          throw new Error(`${side}: ${result.readings} readings, not ${readings}`);
        return result;
      };
      for (let round = 0; round < rounds; round += 1) {
        const order = round % 2 === 0 ? (['ours', 'python'] as const) : (['python', 'ours'] as const);
        for (const side of order) runs[side].push(runSide(side));
        note(`${perRecord} reading(s)/record vs Python: round ${round + 1} of ${rounds}`);
      }
      const perCpuSecond = (r: ChildResult) => r.readings / (r.cpuMs / 1000);
      const best = (side: keyof typeof runs) => Math.max(...runs[side].map(perCpuSecond));
      const median = (side: keyof typeof runs) => {
        const sorted = runs[side].map(perCpuSecond).sort((a, b) => a - b);
        return sorted[Math.floor(sorted.length / 2)] as number;
      };
      const bestRun = (side: keyof typeof runs) =>
        runs[side].reduce((a, b) => (perCpuSecond(b) > perCpuSecond(a) ? b : a));
      const ratio = best('ours') / best('python');
      rows.push([
        perRecord,
        fixed(ratio, 2),
        fixed(median('ours') / median('python'), 2),
        perRecord === 1 ? verdict(ratio >= PYTHON_GOAL_RATIO) : '(live only)',
        Math.round(best('ours')),
        Math.round(best('python')),
        `${fixed(bestRun('ours').cpuMs, 0)} / ${fixed(bestRun('ours').wallMs, 0)}`,
        `${fixed(bestRun('python').cpuMs, 0)} / ${fixed(bestRun('python').wallMs, 0)}`,
        bestRun('ours').events,
      ]);
      const strip = (r: ChildResult & { eventCpuMs?: number[] }) => {
        const { eventCpuMs: _perEvent, ...rest } = r;
        return rest;
      };
      results.push({
        perRecord,
        runs: { ours: runs.ours.map(strip), python: runs.python.map(strip) },
        bestOurs: best('ours'),
        bestPython: best('python'),
        ratio,
        medianRatio: median('ours') / median('python'),
      });
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const after = machineLoad();
  printTable(
    `Firehose transform vs seed 004's Python transform, ${readings.toLocaleString('en')} readings, ~1 MB events: ratio of readings per CPU-second, ours / python (best of ${rounds} each; goal ≥ ${PYTHON_GOAL_RATIO} at 1 reading/record); ours with NODE_OPTIONS=${nodeOptions === '' ? '(none)' : nodeOptions}${nodeOptions === FIREHOSE_TRANSFORM_NODE_OPTIONS ? ' (the Lambda’s)' : ' (NOT the Lambda’s)'}`,
    [
      'readings/record',
      'ours/python (best)',
      'ours/python (median)',
      `≥ ${PYTHON_GOAL_RATIO}`,
      'ours /CPU-s',
      'python /CPU-s',
      'ours CPU/wall ms',
      'python CPU/wall ms',
      'events',
    ],
    rows,
  );
  const loads = `load average before: ${describeLoad(load)}; after: ${describeLoad(after)}`;
  // On stdout with the table: a figure taken on a busy machine must say so where it is read.
  console.log(
    load.busy || after.busy ? `BUSY MACHINE (figures taken anyway, --allow-busy): ${loads}` : loads,
  );
  printJsonLine({
    bench: 'firehose-transform-vs-python',
    readings,
    rounds,
    loadBefore: load.loadavg,
    loadAfter: after.loadavg,
    cores: load.cores,
    busy: load.busy || after.busy,
    goalRatio: PYTHON_GOAL_RATIO,
    nodeOptions,
    lambdaNodeOptions: FIREHOSE_TRANSFORM_NODE_OPTIONS,
    results,
  });
}

if (values.python) {
  await againstPython();
  process.exit(0);
}

if (values.base === undefined) {
  throw new Error('--base <worktree of the base commit> or --python is required');
}
const baseLoad = machineLoad();
if (baseLoad.busy) note(`measuring on a busy machine: ${describeLoad(baseLoad)}`);
const BASE = resolve(values.base);
const ROUNDS = Number(values.rounds);
const READINGS = Number(values.readings);
const sides = { base: BASE, current: REPO } as const;
const loadBefore = loadavg();
const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];

for (const perRecord of SHAPES) {
  const runs: Record<keyof typeof sides, ChildResult[]> = { base: [], current: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate which side goes first, so neither always runs on a warmer or cooler machine.
    const order = round % 2 === 0 ? (['base', 'current'] as const) : (['current', 'base'] as const);
    for (const side of order) {
      const out = execFileSync(
        process.execPath,
        [
          '--conditions=coffee-iot-source',
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          '--child',
          sides[side],
          '--per-record',
          String(perRecord),
          '--readings',
          String(READINGS),
        ],
        { cwd: sides[side], encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      runs[side].push(JSON.parse(out) as ChildResult);
    }
    note(`${perRecord} reading(s)/record: round ${round + 1} of ${ROUNDS}`);
  }
  // Best round of each side (least disturbed by the rest of the machine), and the medians.
  const perCpuSecond = (r: ChildResult) => r.readings / (r.cpuMs / 1000);
  const best = (side: keyof typeof sides) => Math.max(...runs[side].map(perCpuSecond));
  const median = (side: keyof typeof sides) => {
    const sorted = runs[side].map(perCpuSecond).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  };
  const cpuOf = (side: keyof typeof sides) => Math.min(...runs[side].map((r) => r.cpuMs));
  const ratio = best('current') / best('base');
  rows.push([
    perRecord,
    runs.current[0]?.events ?? 0,
    Math.round(best('base')),
    Math.round(best('current')),
    fixed(cpuOf('base')),
    fixed(cpuOf('current')),
    fixed(ratio, 3),
    fixed(median('current') / median('base'), 3),
    verdict(ratio >= GOAL_RATIO),
  ]);
  results.push({ perRecord, runs, bestBase: best('base'), bestCurrent: best('current'), ratio });
}

printTable(
  `Firehose transform, ${READINGS.toLocaleString('en')} readings, ~1 MB events (readings per CPU-second, best of ${ROUNDS}; goal current/base ≥ ${GOAL_RATIO})`,
  [
    'readings/record',
    'events',
    'base /CPU-s',
    'current /CPU-s',
    'base CPU ms',
    'current CPU ms',
    'ratio (best)',
    'ratio (median)',
    `≥ ${GOAL_RATIO}`,
  ],
  rows,
);
const loadAfter = loadavg();
note(
  `load average before ${loadBefore.map((l) => fixed(l, 2)).join(' ')}, after ${loadAfter.map((l) => fixed(l, 2)).join(' ')}`,
);
printJsonLine({
  bench: 'firehose-transform',
  base: BASE,
  readings: READINGS,
  rounds: ROUNDS,
  loadBefore,
  loadAfter,
  goalRatio: GOAL_RATIO,
  results,
});
