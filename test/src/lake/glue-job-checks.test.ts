import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkIdentity,
  checkTelemetryEnvelope,
  DEFAULT_MAX_FUTURE_SKEW_MS,
  IDENTITY_MISMATCH_REASON,
  telemetrySchema,
} from '@coffee-iot/shared';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PIPELINE_METRICS,
  PIPELINE_METRICS_NAMESPACE,
  pipelineMetricsLine,
} from '../../../cloud/src/lake/firehose/pipeline-metrics.js';
import { fullReading } from '../../../cloud/src/testing/ingest-records.js';

/**
 * The Glue streaming job's checks (cloud/glue/ingest_stream_job.py) are plain Python: run here
 * with python3 on the same inputs as the TypeScript checks, they must give the same verdicts and
 * reasons, and their copy of the reading rules must be the schema's. (Spark itself is not on this
 * machine; the job's Spark wiring only calls these functions.)
 */
const SCRIPT = fileURLToPath(new URL('../../../cloud/glue/ingest_stream_job.py', import.meta.url));
const pycache = mkdtempSync(join(tmpdir(), 'coffee-iot-pycache-'));
afterAll(() => rmSync(pycache, { recursive: true, force: true }));

// Reads JSON calls on stdin, answers JSON results: one python3 start per test file.
const DRIVER = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("ingest_stream_job", sys.argv[1])
job = importlib.util.module_from_spec(spec)
spec.loader.exec_module(job)
calls = json.load(sys.stdin)
constants = {name: getattr(job, name) for name in (
    "READING_SCHEMA", "DEFAULT_MAX_FUTURE_SKEW_MS", "IDENTITY_MISMATCH_REASON",
    "PIPELINE_METRICS_NAMESPACE", "PIPELINE_METRICS")}
constants["ddl"] = job.ingest_record_ddl()
results = [getattr(job, call["fn"])(*call["args"]) for call in calls]
print(json.dumps({"constants": constants, "results": results}))
`;

interface Call {
  fn: 'check_readings' | 'identity_problem' | 'metrics_line';
  args: unknown[];
}

function runPython(calls: Call[]): { constants: Record<string, unknown>; results: unknown[] } {
  const out = execFileSync('python3', ['-c', DRIVER, SCRIPT], {
    input: JSON.stringify(calls),
    encoding: 'utf8',
    env: { ...process.env, PYTHONPYCACHEPREFIX: pycache, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return JSON.parse(out);
}

const BOOT = '0b0e8f3c-8a4e-4d4a-9a51-2f3b5f9c1d11';
const RECEIVED = new Date('2026-11-26T10:00:00.000Z');
const good = (seq: number) => fullReading(seq, Date.UTC(2026, 10, 25, 10));
const { roll: _roll, ...withoutRoll } = good(9);

/** Readings of every kind the checks tell apart, good ones between them. */
const READINGS: unknown[] = [
  good(1),
  { ...good(2), humidity: 140 },
  { ...good(3), pressure: 0 },
  { ...good(4), temperature: -41 },
  { ...good(5), pitch: 361 },
  { ...good(6), magZ: -1601 },
  { ...good(7), seq: 0 },
  { ...good(8), seq: 1.5 },
  { ...withoutRoll, foo: 1, humidity: 'x', temperature: 500, zed: 2 },
  5,
  'a string',
  null,
  [1, 2],
  { ...good(10), ts: '2026-02-30T10:00:00.000Z' },
  { ...good(11), ts: '2026-11-25T24:00:00.000Z' },
  { ...good(12), ts: '2026-11-25 10:00:00.000Z' },
  { ...good(13), ts: '2026-11-26T10:05:00.001Z' }, // 1 ms past the skew
  { ...good(14), ts: '2026-11-26T10:05:00.000Z' }, // exactly at it: lands
  { ...good(15), pressure: true },
  { ...good(16), accelX: null },
  { ...good(17), seq: 2 ** 53 }, // one past the largest exact integer
  good(18),
];

/** The readings as Spark hands them to the job: each one's JSON text. */
const texts = (readings: readonly unknown[]) => readings.map((r) => JSON.stringify(r));

describe('the Glue job checks what the TypeScript transform checks', () => {
  const mixed = Array.from({ length: 400 }, (_, i) => good(i + 1)) as unknown[];
  mixed[7] = { ...(mixed[7] as object), humidity: 140 };
  mixed[150] = { ...(mixed[150] as object), pressure: 0 };
  mixed[399] = { ...(mixed[399] as object), ts: '2027-01-01T00:00:00.000Z' };
  const identityCases: [unknown, string | null][] = [
    ['coffee-pi-1', 'coffee-pi-1'],
    ['coffee-pi-2', 'coffee-pi-1'],
    [null, 'coffee-pi-1'],
    ['coffee-pi-1', null],
  ];
  const python = runPython([
    { fn: 'check_readings', args: [texts(READINGS), RECEIVED.getTime()] },
    { fn: 'check_readings', args: [texts(mixed), RECEIVED.getTime()] },
    ...identityCases.map(([claimed, thing]): Call => ({ fn: 'identity_problem', args: [claimed, thing] })),
    { fn: 'metrics_line', args: [2, 3, 4, RECEIVED.getTime()] },
  ]);
  const [readingsResult, mixedResult, ...rest] = python.results as [PyChecked, PyChecked, ...unknown[]];
  const identityResults = rest.slice(0, identityCases.length);
  const metricsResult = rest[identityCases.length] as string;

  type PyChecked = {
    good: unknown[];
    bad: { index: number; seq: number | null; reason: string; data: string }[];
  };

  /** The TypeScript verdicts in the Python result's shape. */
  function typescript(readings: unknown[]) {
    const checked = checkTelemetryEnvelope(
      'test',
      { v: 1, deviceId: 'coffee-pi-1', bootId: BOOT, readings },
      { receivedAt: RECEIVED },
    );
    return {
      good: checked.envelope.readings,
      bad: checked.rejected.map(({ index, seq, reason }) => ({ index, seq, reason })),
    };
  }

  it('keeps a copy of the reading rules equal to the schema, and the shared constants', () => {
    const stripDescriptions = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(stripDescriptions)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .filter(([key]) => key !== 'description')
                .map(([key, v]) => [key, stripDescriptions(v)]),
            )
          : value;
    expect(python.constants.READING_SCHEMA).toEqual(stripDescriptions(telemetrySchema.definitions.reading));
    expect(python.constants.DEFAULT_MAX_FUTURE_SKEW_MS).toBe(DEFAULT_MAX_FUTURE_SKEW_MS);
    expect(python.constants.IDENTITY_MISMATCH_REASON).toBe(IDENTITY_MISMATCH_REASON);
    expect(python.constants.PIPELINE_METRICS_NAMESPACE).toBe(PIPELINE_METRICS_NAMESPACE);
    expect(python.constants.PIPELINE_METRICS).toEqual(PIPELINE_METRICS);
  });

  it('reads `thing` and each reading as its JSON text, so one bad field cannot corrupt the envelope', () => {
    expect(python.constants.ddl).toContain('`thing` string');
    expect(python.constants.ddl).toContain('`readings` array<string>');
  });

  it('refuses and keeps exactly the readings TypeScript refuses, with the same seq and reason', () => {
    const expected = typescript(READINGS);
    expect(readingsResult.bad.map(({ index, seq, reason }) => ({ index, seq, reason }))).toEqual(
      expected.bad,
    );
    // Through JSON, as the job receives them (-0 is 0 there).
    expect(readingsResult.good).toEqual(JSON.parse(JSON.stringify(expected.good)));
    // The cases are worth comparing: most are bad, a few good ones land.
    expect(expected.good.map((r) => r.seq)).toEqual([1, 14, 18]);
    for (const bad of readingsResult.bad) {
      expect(JSON.parse(bad.data)).toEqual(JSON.parse(JSON.stringify(READINGS[bad.index])));
    }
  });

  it('lands 397 of a 400-reading envelope and refuses the 3 bad ones with their seq and reason', () => {
    expect(mixedResult.good).toHaveLength(397);
    expect(mixedResult.bad.map(({ index, seq, reason }) => ({ index, seq, reason }))).toEqual(
      typescript(mixed).bad,
    );
    expect(mixedResult.bad.map((bad) => bad.seq)).toEqual([8, 151, 400]);
  });

  it('refuses a deviceId that is not the topic thing, in the same words', () => {
    identityCases.forEach(([claimed, thing], i) => {
      let reason: string | null = null;
      try {
        checkIdentity('test', claimed ?? undefined, { thing: thing ?? undefined });
      } catch (error) {
        reason = (error as { problems: string[] }).problems.join('; ');
      }
      expect(identityResults[i], `${claimed} on ${thing}`).toBe(reason);
    });
    expect(identityResults[1]).toMatch(new RegExp(`^${IDENTITY_MISMATCH_REASON}`));
  });

  it('emits the same Embedded Metric Format line as the Firehose transform', () => {
    expect(JSON.parse(metricsResult)).toEqual(
      JSON.parse(
        pipelineMetricsLine(
          'telemetry',
          { identityMismatches: 2, refusedReadings: 3, refusedRecords: 4 },
          RECEIVED,
        ),
      ),
    );
  });
});
