/**
 * The lake transform alone (no Parquet): readings/s of transformIngestRecords over 1,000,000
 * readings, packed 1, 10, 60 and 600 readings per stream record (live, a short outage, a minute,
 * a catch-up batch), against baselines measured in the same run on the same bytes: JSON.parse
 * only (the floor of any transform), JSON.parse keeping the parsed objects (the floor of any
 * transform that returns its rows), and JSON.parse + the shared Ajv validator. The transform runs
 * twice: over all records at once, keeping every row (what the 1,000,000-row figure costs in
 * memory), and batch by batch as a consumer runs it, each batch's rows let go after it. Every reading has
 * every optional sensor field, the largest real shape. Run:
 *   node --conditions=coffee-iot-source --import tsx bench/lake-transform.ts [--readings N] [--rounds R]
 */
import { parseArgs } from 'node:util';
import type { TelemetryEnvelope } from '@coffee-iot/shared';
import { SeenReadings, transformIngestRecords } from '../cloud/src/lake/transform.js';
import type { IngestInput } from '../cloud/src/lake/transform-types.js';
import { fullReading, telemetryIngestJson } from '../cloud/src/testing/ingest-records.js';
// From source, not the package's dist: the bench runs before a build.
import { validateTelemetryEnvelope } from '../shared/src/validate.js';
import { BOOT_ID, deviceName } from './lib/lake-records.js';
import { fixed, note, printJsonLine, printTable, verdict } from './lib/report.js';

const { values } = parseArgs({
  options: { readings: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' } },
});
const READINGS = Number(values.readings);
const ROUNDS = Number(values.rounds);
const GOAL_PER_S = 1_000_000;
const DEVICES = 20;
/** Readings per batch in the batch-by-batch run (a multiple of every readings/record used). */
const CHUNK_READINGS = 12_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `total` readings as stream records of `perRecord` readings each, devices round-robin. */
function streamRecords(total: number, perRecord: number): IngestInput[] {
  const inputs: IngestInput[] = [];
  const start = Date.UTC(2026, 10, 26, 8, 0, 0);
  const seqs = new Array<number>(DEVICES).fill(0);
  let made = 0;
  for (let r = 0; made < total; r += 1) {
    const device = r % DEVICES;
    const count = Math.min(perRecord, total - made);
    const readings = Array.from({ length: count }, () => {
      seqs[device] = (seqs[device] ?? 0) + 1;
      return fullReading(seqs[device] ?? 0, start);
    });
    inputs.push({
      id: `49546986683135544286507457936321625675700192471156${String(r).padStart(6, '0')}`,
      data: encoder.encode(telemetryIngestJson(deviceName(device), BOOT_ID, readings)),
      arrivedAt: new Date(start + r * 10),
    });
    made += count;
  }
  return inputs;
}

/** Best of `ROUNDS` runs, in readings/s. */
function best(label: string, run: () => number): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round += 1) {
    const began = process.hrtime.bigint();
    const produced = run();
    const seconds = Number(process.hrtime.bigint() - began) / 1e9;
    if (produced !== READINGS) throw new Error(`${label}: ${produced} readings, expected ${READINGS}`);
    fastest = Math.min(fastest, seconds);
  }
  return READINGS / fastest;
}

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
for (const perRecord of [1, 10, 60, 600]) {
  note(`building ${READINGS} readings, ${perRecord} per record`);
  const inputs = streamRecords(READINGS, perRecord);
  const bytes = inputs.reduce((sum, input) => sum + input.data.byteLength, 0);
  note(`measuring ${inputs.length} records (${fixed(bytes / 1e6)} MB), best of ${ROUNDS}`);
  const parseOnly = best('JSON.parse', () => {
    let n = 0;
    for (const input of inputs) {
      n += (JSON.parse(decoder.decode(input.data)) as TelemetryEnvelope).readings.length;
    }
    return n;
  });
  // The same, keeping what was parsed (as the transform keeps its rows): the cost of holding
  // a million objects, which the first baseline does not pay.
  const parseKept = best('JSON.parse, kept', () => {
    const kept: TelemetryEnvelope[] = [];
    let n = 0;
    for (const input of inputs) {
      const envelope = JSON.parse(decoder.decode(input.data)) as TelemetryEnvelope;
      kept.push(envelope);
      n += envelope.readings.length;
    }
    return kept.length > 0 ? n : 0;
  });
  const parseValidate = best('JSON.parse + Ajv', () => {
    let n = 0;
    for (const input of inputs) {
      const { type: _type, ...envelope } = JSON.parse(decoder.decode(input.data)) as TelemetryEnvelope & {
        type: string;
      };
      const result = validateTelemetryEnvelope(envelope);
      if (result.ok) n += result.value.readings.length;
    }
    return n;
  });
  const transform = best('transformIngestRecords', () => {
    const output = transformIngestRecords(inputs);
    if (output.rejected.length > 0) throw new Error(`refused: ${output.rejected[0]?.reason}`);
    return output.telemetry.length;
  });
  // As a consumer runs it: batch by batch, each batch's rows handed on (to Parquet) and let go,
  // with one SeenReadings across batches.
  const chunked = best('transformIngestRecords, in batches', () => {
    const seenReadings = new SeenReadings();
    let n = 0;
    for (let at = 0; at < inputs.length; at += CHUNK_READINGS / perRecord) {
      const output = transformIngestRecords(inputs.slice(at, at + CHUNK_READINGS / perRecord), {
        seenReadings,
      });
      n += output.telemetry.length;
    }
    return n;
  });
  rows.push([
    perRecord,
    inputs.length,
    Math.round(parseOnly),
    Math.round(parseKept),
    Math.round(parseValidate),
    Math.round(transform),
    Math.round(chunked),
    fixed(chunked / parseOnly, 2),
    verdict(chunked >= GOAL_PER_S),
  ]);
  results.push({
    perRecord,
    records: inputs.length,
    bytes,
    parseOnly,
    parseKept,
    parseValidate,
    transform,
    chunked,
  });
}

printTable(
  `Lake transform, ${READINGS.toLocaleString('en')} readings (readings/s, best of ${ROUNDS}; goal ≥ ${GOAL_PER_S.toLocaleString('en')}/s)`,
  [
    'readings/record',
    'records',
    'JSON.parse',
    'parse, kept',
    'parse+Ajv',
    'transform, all kept',
    `transform, ${CHUNK_READINGS}/batch`,
    'batch vs parse',
    `≥ ${GOAL_PER_S}`,
  ],
  rows,
);
printJsonLine({ bench: 'lake-transform', readings: READINGS, rounds: ROUNDS, goalPerS: GOAL_PER_S, results });
