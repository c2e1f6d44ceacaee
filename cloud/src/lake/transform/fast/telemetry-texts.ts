import { telemetrySchema } from '@coffee-iot/shared';
import type { RandomSource } from './random-source.js';

/*
 * Telemetry ingest record texts for the fast path's differential tests: valid ones in every form
 * the fast path may take (any key order, optional fields or not, whitespace, a reingested count,
 * with or without the topic rule's thing), and the same subtly broken in the ways a scanner gets
 * wrong (wrong types, out of range, extra and repeated keys, escapes, -0, exponents, bad UTF-8…).
 */

type Field = { name: string; minimum: number; maximum: number };
const readingProperties = telemetrySchema.definitions.reading.properties as Record<
  string,
  { type: string; minimum?: number; maximum?: number }
>;
const NUMBER_FIELDS: Field[] = Object.entries(readingProperties)
  .filter(([, property]) => property.type === 'number')
  .map(([name, property]) => ({ name, minimum: property.minimum ?? -1e6, maximum: property.maximum ?? 1e6 }));
const REQUIRED = new Set<string>(telemetrySchema.definitions.reading.required);

export const ARRIVAL_MS = Date.UTC(2026, 10, 27, 8, 30);
/** The latest ts the default skew (5 minutes) lets land for ARRIVAL_MS. */
export const LATEST_TS = new Date(ARRIVAL_MS + 5 * 60_000).toISOString();

export interface RecordText {
  text: string;
  deviceId: string;
  partitionKey: string | undefined;
}

const THING_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-';
const HEX = '0123456789abcdef';

function shuffled<T>(random: RandomSource, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = random.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A device's value (a few decimals); with `wild`, also the edges of what JSON writes. */
function numberValue(random: RandomSource, field: Field, wild: boolean): number {
  const { minimum, maximum } = field;
  const kind = random.int(wild ? 0 : 3, 9);
  if (kind === 0) return (random.next() - 0.5) * 2e-5; // around 1e-6, where JavaScript turns to exponents
  const raw = minimum + random.next() * (maximum - minimum);
  if (kind === 1) return raw; // 17 significant digits: valid, not the fast path's
  if (kind === 2) return -0;
  if (kind === 3) return random.pick([minimum, maximum, 0]);
  return Number(raw.toFixed(random.int(0, 6)));
}

function tsText(random: RandomSource): string {
  const kind = random.int(0, 49);
  if (kind === 0) return LATEST_TS;
  if (kind === 1) return new Date(Date.parse(LATEST_TS) + 1).toISOString(); // one ms too late
  return new Date(ARRIVAL_MS - random.int(0, 400 * 86_400_000)).toISOString();
}

/** The spaces JSON allows between tokens, most often none. */
function space(random: RandomSource, spacious: boolean): string {
  if (!spacious || random.chance(0.6)) return '';
  return Array.from({ length: random.int(1, 3) }, () => random.pick([' ', '\n', '\t', '\r'])).join('');
}

function objectText(random: RandomSource, entries: [string, string][], spacious: boolean): string {
  const s = () => space(random, spacious);
  return `{${s()}${entries.map(([key, value]) => `${JSON.stringify(key)}${s()}:${s()}${value}`).join(`${s()},${s()}`)}${s()}}`;
}

/** A valid telemetry ingest record (valid for the slow path; the fast path may or may not take it). */
export function validRecordText(random: RandomSource, seqBase = 1): RecordText {
  const length = random.chance(0.05) ? 128 : random.int(1, 16);
  const deviceId = Array.from({ length }, () => random.pick([...THING_CHARS])).join('');
  const bootId = [8, 4, 4, 4, 12]
    .map((n) => Array.from({ length: n }, () => random.pick([...HEX])).join(''))
    .join('-');
  const spacious = random.chance(0.15);
  const wild = random.chance(0.2);
  const ordered = random.chance(0.7);
  const count = random.chance(0.1) ? random.int(5, 30) : random.int(1, 3);
  const readings = Array.from({ length: count }, (_, i) => {
    const seq = random.chance(0.03)
      ? random.pick([9_007_199_254_740_991, 9_007_199_254_740_990])
      : seqBase + random.int(0, i + 3);
    const entries: [string, string][] = [
      ['seq', JSON.stringify(seq)],
      ['ts', JSON.stringify(tsText(random))],
    ];
    for (const field of NUMBER_FIELDS) {
      if (!REQUIRED.has(field.name) && random.chance(0.3)) continue;
      entries.push([field.name, JSON.stringify(numberValue(random, field, wild))]);
    }
    return objectText(random, ordered ? entries : shuffled(random, entries), spacious);
  });
  const s = () => space(random, spacious);
  const envelope: [string, string][] = [
    ['v', '1'],
    ['deviceId', JSON.stringify(deviceId)],
    ['bootId', JSON.stringify(bootId)],
    ['readings', `[${s()}${readings.join(`${s()},${s()}`)}${s()}]`],
    ['type', '"telemetry"'],
  ];
  if (random.chance(0.85)) envelope.push(['thing', JSON.stringify(deviceId)]);
  if (random.chance(0.15)) envelope.push(['reingested', String(random.int(1, 5))]);
  const text = `${s()}${objectText(random, ordered ? envelope : shuffled(random, envelope), spacious)}${s()}`;
  const partitionKey = random.pick([deviceId, deviceId, deviceId, undefined, `${deviceId}x`]);
  return { text, deviceId, partitionKey };
}

/** Spans of number-like tokens, of strings, and the index after each `{`: where mutations go. */
function tokens(text: string, pattern: RegExp): { start: number; end: number }[] {
  return [...text.matchAll(pattern)].map((m) => ({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length }));
}

const NUMBER_SWAPS = [
  '-0',
  '0',
  '-1',
  '1e21',
  '1E2',
  '1e-7',
  '1.0',
  '1.50',
  '01',
  '-',
  '1e400',
  '"5"',
  'null',
  'true',
  '[]',
  '{}',
  '0.0000001',
  '123456789012345678',
  '-41',
  '121',
  '1261',
  '259.99',
  '-1600.5',
  '35.01',
  '9007199254740992',
  '9007199254740991',
  '2',
  '16.000001',
  '-16',
  '0.000001',
  '100',
  '100.00000000000001',
];
const STRING_SWAPS = [
  '"\\u0063offee-pi-1"',
  '"0B0E8F3C-8A4E-4D4A-9A51-2F3B5F9C1D11"',
  '"café"',
  '""',
  `"${'a'.repeat(129)}"`,
  '"telemetry "',
  '"coffee"',
  '"tab\tin"',
  '1',
  'null',
  '"2026-13-01T00:00:00.000Z"',
  '"2025-02-29T00:00:00.000Z"',
  '"2024-02-29T23:59:59.999Z"',
  '"2026-11-01T24:00:00.000Z"',
  '"2026-11-01T23:60:00.000Z"',
  '"2026-11-01T23:00:60.000Z"',
  '"2026-11-01T23:00:00.000z"',
  '"2026-11-01 23:00:00.000Z"',
  '"2026-11-01T23:00:00Z"',
  '"2099-01-01T00:00:00.000Z"',
  '"0000-01-01T00:00:00.000Z"',
  '"coffee-pi-1\\""',
  '"\\/"',
];
const KEY_SWAPS = [
  '"t\\u0073"',
  '"extra"',
  '"__proto__"',
  '"constructor"',
  '"seq"',
  '"ts"',
  '"temperature"',
  '"thing"',
  '"type"',
  '"reingested"',
  '"readings"',
  '"v"',
  '"deviceId"',
  '"Temperature"',
  '"magZ "',
];
const INSERTS = [
  '"extra":1,',
  '"temperature":20,',
  '"seq":1,',
  '"ts":"2026-01-01T00:00:00.000Z",',
  '"readings":[],',
  '"v":1,',
  '"thing":"other",',
  '"reingested":0,',
  '"reingested":2,',
  '"__proto__":{},',
  ' ',
  '\u00a0',
  '\f',
  '\n',
];

/**
 * The readings member twice, the second with other seqs: JSON.parse keeps the last, and a scanner
 * that let a repeated key through would land both.
 */
function repeatedReadings(text: string): string {
  const key = text.indexOf('"readings"');
  let p = text.indexOf('[', key);
  let depth = 0;
  do {
    if (text[p] === '[') depth += 1;
    else if (text[p] === ']') depth -= 1;
    p += 1;
  } while (depth > 0 && p < text.length);
  const member = text.slice(key, p);
  const again = member.replace(
    /"seq"(\s*):(\s*)(\d+)/g,
    (_m, a, b, seq) => `"seq"${a}:${b}${Number(seq) + 100}`,
  );
  return `${text.slice(0, p)},${again}${text.slice(p)}`;
}

/** The valid text broken (or not) in one of the ways a scanner could misread. */
export function mutatedText(random: RandomSource, text: string): string {
  const kind = random.int(0, 12);
  const at = (spans: { start: number; end: number }[], replacement: string) => {
    if (spans.length === 0) return text;
    const { start, end } = random.pick(spans);
    return `${text.slice(0, start)}${replacement}${text.slice(end)}`;
  };
  switch (kind) {
    case 0:
    case 1:
      return at(tokens(text, /-?\d+(\.\d+)?([eE][+-]?\d+)?/g), random.pick(NUMBER_SWAPS));
    case 2:
      return at(
        tokens(text, /:\s*"[^"]*"/g).map(({ start, end }) => ({ start: start + 1, end })),
        random.pick(STRING_SWAPS),
      );
    case 3:
      return at(
        tokens(text, /"[A-Za-z_]+"\s*:/g).map(({ start, end }) => ({ start, end: end - 1 })),
        random.pick(KEY_SWAPS),
      );
    case 4: {
      const spans = tokens(text, /\{/g).map(({ end }) => ({ start: end, end }));
      return at(spans, random.pick(INSERTS));
    }
    case 5: {
      const spans = tokens(text, /[,:[\]{}]/g).map(({ end }) => ({ start: end, end }));
      return at(spans, random.pick([' ', '\n', '\r\n', '\t', '\u00a0', '\f', '\u2028', ',']));
    }
    case 6:
      return text.slice(0, random.int(0, text.length - 1));
    case 7:
      return random.pick(['\ufeff', ' ', 'x', '[']) + text + random.pick(['', ' ', '\n', 'x', '}', ',{}']);
    case 8: {
      const p = random.int(0, text.length - 1);
      return `${text.slice(0, p)}${String.fromCharCode(random.int(0x20, 0x7e))}${text.slice(p + 1)}`;
    }
    case 9:
      return text.replace(/"seq":(\d+)/, (_m, seq) => `"seq":${seq},"seq":${Number(seq) + 1}`);
    case 10:
      return text.replace(/\},\s*\{/, random.pick(['},,{', '}{', '},1,{', '},null,{']));
    case 12:
      return repeatedReadings(text);
    default:
      return text.replace(
        '"readings":[',
        random.pick(['"readings":[[', '"readings":[null,', '"readings":[{},', '"readings":[1,']),
      );
  }
}
