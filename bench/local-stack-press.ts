/**
 * Press → coffees row → dashboard on the local stack (issue 6, "Benchmark"; goal p50 ≤ 1.5 s
 * with the mock camera, countdown off). One real agent in mock-hardware mode; each press goes
 * through the dashboard's own POST /api/devices/coffee-pi-1/press; the row is seen by polling the
 * stack's SQLite file (read-only, every 10 ms) and the dashboard update is the `coffee` event
 * arriving on a GET /api/events stream, as a browser receives it. Segments use the record's own
 * times (capturedAt from the agent, analyzedAt from the photo handler; one machine, one clock).
 * Baseline in the same run: the local analyzer alone on the same photos, warm.
 *
 * Run: node --conditions=coffee-iot-source --import tsx bench/local-stack-press.ts [--presses 30]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createLocalFaceAnalyzer } from '../cloud/src/analysis/local/index.js';
import { createLogger } from '../device/src/ports/logger.js';
import { openEventStream } from '../local/src/dashboard/testing/event-stream-client.js';
import { startLocalStack } from '../local/src/stack/local-stack.js';
import { DEFAULT_STACK_OPTIONS } from '../local/src/stack/stack-options.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';
import { median, percentile } from './lib/stats.js';

const { values } = parseArgs({ options: { presses: { type: 'string', default: '30' } } });
const PRESSES = Number(values.presses);
const GOAL_P50_MS = 1500;
/** The agent skips presses for 2 s after a capture (coffee.cooldownMs). */
const COOLDOWN_GAP_MS = 2300;

interface PressTiming {
  toCaptureMs: number;
  captureToAnalyzedMs: number;
  toRowMs: number;
  toDashboardMs: number;
}

const dataDir = await mkdtemp(join(tmpdir(), 'coffee-iot-press-bench-'));
const stack = await startLocalStack(
  {
    ...DEFAULT_STACK_OPTIONS,
    dataDir,
    devices: 1,
    countdownSeconds: 0,
    brokerPort: 0,
    s3Port: 0,
    kinesisPort: 0,
    dashboardPort: 0,
    controlPort: 0,
  },
  () => undefined,
  createLogger('warn'),
);
const timings: PressTiming[] = [];
const photoKeys: string[] = [];
try {
  const db = new Database(join(dataDir, 'coffee-iot.sqlite'), { readonly: true, fileMustExist: true });
  const rows = db.prepare('SELECT count(*) AS n FROM coffees');
  const count = () => (rows.get() as { n: number }).n;
  const events = await openEventStream(stack.dashboardUrl);
  // The model loads in the background at start: wait for it so press 1 is not a cold start.
  await sleep(8000);
  for (let press = 0; press < PRESSES; press += 1) {
    const before = count();
    const dashboard = events.nextFrameWhere((frame) => frame.event === 'coffee');
    const pressedAt = Date.now();
    const response = await fetch(`${stack.dashboardUrl}/api/devices/coffee-pi-1/press`, { method: 'POST' });
    if (response.status !== 202)
      throw new Error(`press refused: ${response.status} ${await response.text()}`);
    let rowAt = 0;
    while (count() === before) await sleep(10);
    rowAt = Date.now();
    const frame = await dashboard;
    const dashboardAt = Date.now();
    const coffee = (
      JSON.parse(frame.data ?? '{}') as {
        coffee: { capturedAt: string; analyzedAt: string; photoKey: string };
      }
    ).coffee;
    photoKeys.push(coffee.photoKey);
    timings.push({
      toCaptureMs: Date.parse(coffee.capturedAt) - pressedAt,
      captureToAnalyzedMs: Date.parse(coffee.analyzedAt) - Date.parse(coffee.capturedAt),
      toRowMs: rowAt - pressedAt,
      toDashboardMs: dashboardAt - pressedAt,
    });
    note(`press ${press + 1}: row ${rowAt - pressedAt} ms, dashboard ${dashboardAt - pressedAt} ms`);
    await sleep(COOLDOWN_GAP_MS);
  }
  events.close();
  db.close();
} finally {
  await stack.stop();
}

// Baseline: the analyzer alone on the same photos, warm, in this process.
// s3rver keeps each object's bytes in `{key}._S3rver_object` under the bucket directory.
const bucketDir = join(dataDir, 's3', 'coffee-photos');
const analyzer = createLocalFaceAnalyzer({
  readPhoto: (_bucket, key) => readFile(join(bucketDir, `${key}._S3rver_object`)),
});
await analyzer.warmUp();
const analyzeMs: number[] = [];
for (const key of photoKeys.slice(0, 10)) {
  const started = performance.now();
  await analyzer.analyze({ bucket: 'coffee-photos', key });
  analyzeMs.push(performance.now() - started);
}
await analyzer.close();
await rm(dataDir, { recursive: true, force: true });

const column = (pick: (t: PressTiming) => number) => timings.map(pick);
const rowsOut = [
  ['press → photo captured (agent)', column((t) => t.toCaptureMs)],
  ['captured → analysed (upload, S3 event, analyzer)', column((t) => t.captureToAnalyzedMs)],
  ['press → coffees row', column((t) => t.toRowMs)],
  ['press → dashboard event', column((t) => t.toDashboardMs)],
  ['baseline: analyzer alone (warm)', analyzeMs],
] as const;
printTable(
  `press → row → dashboard, ${timings.length} presses, mock camera, countdown 0`,
  ['segment', 'p50 ms', 'p95 ms', 'max ms'],
  rowsOut.map(([name, xs]) => [
    name,
    fixed(median(xs), 0),
    fixed(percentile(xs, 95), 0),
    fixed(Math.max(...xs), 0),
  ]),
);
const p50 = median(column((t) => t.toDashboardMs));
console.log(
  `press → dashboard p50 ${fixed(p50, 0)} ms (goal ≤ ${GOAL_P50_MS}) ${verdict(p50 <= GOAL_P50_MS)}`,
);
console.log(`analysis share of the p50: ${fixed(median(analyzeMs) / p50, 2)}`);
printJsonLine({
  bench: 'local-stack-press',
  presses: timings.length,
  p50DashboardMs: p50,
  p95DashboardMs: percentile(
    column((t) => t.toDashboardMs),
    95,
  ),
  p50RowMs: median(column((t) => t.toRowMs)),
  p95RowMs: percentile(
    column((t) => t.toRowMs),
    95,
  ),
  analyzerAloneP50Ms: median(analyzeMs),
  timings,
});
