import { THING_NAME_PATTERN, telemetrySchema } from '@coffee-iot/shared';
import { CSV_COLUMNS } from './csv-format.js';
import type { CsvLayout } from './csv-header.js';
import { parseCsvTimestamp } from './csv-timestamp.js';
import { ImportInvariantError } from './import-errors.js';
import { derivedSeq, importBootId } from './import-identity.js';
import { uncoveredReadingRules } from './reading-rules.js';

/** Readings before this are refused: no Raspberry Pi existed (launched February 2012). */
export const EARLIEST_READING_MS = Date.UTC(2012, 0, 1);
/** How far past the importer's clock a ts may be (clock skew); later is a unit or clock error. */
export const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

export type RowOutcome =
  | {
      ok: true;
      deviceId: string;
      bootId: string;
      seq: number;
      /** ISO-8601 UTC with milliseconds, as the contract writes it. */
      ts: string;
      /** The reading's JSON, keys in the contract's order, numbers as JSON.stringify writes them. */
      json: string;
    }
  | { ok: false; reason: string };

type Bounds = { minimum?: number; maximum?: number };
const SCHEMA_BOUNDS = telemetrySchema.definitions.reading.properties as Record<string, Bounds>;
// A decimal number as a person or a spreadsheet writes it; Number() alone would also take '0x1f',
// 'Infinity' and '' (as 0).
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;
const WHOLE = /^\d+$/;

type Kind = 'deviceId' | 'seq' | 'ts' | 'number';

/** One column the file has: where it sits and how to read it. */
interface Slot {
  readonly position: number;
  readonly name: string;
  readonly field: string;
  readonly required: boolean;
  readonly kind: Kind;
  readonly bounds: Bounds;
  /** `,"field":`, what precedes the value in the reading's JSON. */
  readonly key: string;
}

/** Turns rows of one file into readings; `nowMs` bounds how late a ts may be. */
export class CsvReadingBuilder {
  /** The file's columns in the format's order (CSV_COLUMNS), whatever their order in the file. */
  private readonly slots: readonly Slot[];
  private readonly width: number;
  private readonly latestMs: number;
  private readonly bootIds = new Map<string, string>();

  constructor(layout: CsvLayout, nowMs: number) {
    assertChecksCoverContract();
    this.width = layout.columns.length;
    this.slots = CSV_COLUMNS.flatMap((column): Slot[] => {
      const position = layout.columns.indexOf(column);
      if (position < 0) return [];
      const kind: Kind =
        column.field === 'deviceId' || column.field === 'seq' || column.field === 'ts'
          ? column.field
          : 'number';
      const bounds = SCHEMA_BOUNDS[column.field] ?? {};
      const key = `,${JSON.stringify(column.field)}:`;
      return [
        { position, name: column.name, field: column.field, required: column.required, kind, bounds, key },
      ];
    });
    this.latestMs = nowMs + FUTURE_TOLERANCE_MS;
  }

  /**
   * One row's reading, or every reason it is refused at once (joined with "; ", in the format's
   * column order). The reading's keys come in the contract's order whatever the file's column order,
   * so the same data always makes byte-identical records.
   */
  build(fields: readonly string[]): RowOutcome {
    if (fields.length !== this.width) {
      return { ok: false, reason: `expected ${this.width} fields as in the header, got ${fields.length}` };
    }
    // seq and ts first, then the values in the format's order: the contract's own order. No
    // reading object: the checks below are the contract's reading schema, rule for rule
    // (reading-rules.ts proves it when the import starts), and the JSON is written as they pass.
    let ts = '';
    const problems: string[] = [];
    let deviceId = '';
    let tsMs = Number.NaN;
    let seq: number | undefined;
    // The values' part of the JSON, built as they are read: no JSON.stringify of the reading.
    let valuesJson = '';
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 1) {
      const slot = slots[i] as Slot;
      const text = fields[slot.position] as string;
      if (text === '') {
        if (slot.required) problems.push(`${slot.name}: missing value`);
        continue;
      }
      let problem: string | undefined;
      switch (slot.kind) {
        case 'deviceId':
          // A device seen before has passed the pattern already.
          if (this.bootIds.has(text) || THING_NAME_PATTERN.test(text)) deviceId = text;
          else problem = 'is not a thing name (1-128 of A-Z a-z 0-9 : _ -)';
          break;
        case 'seq': {
          const value = Number(text);
          if (WHOLE.test(text) && value >= 1 && Number.isSafeInteger(value)) seq = value;
          else problem = 'is not a whole number from 1 up';
          break;
        }
        case 'ts': {
          const checked = this.checkTimestamp(text);
          if (typeof checked === 'string') problem = checked;
          else {
            tsMs = checked.ms;
            ts = checked.iso;
          }
          break;
        }
        case 'number': {
          // A shortest form is a plain decimal: the pattern check is then not needed.
          const shortest = shortestNumberText(text);
          const checked = checkNumber(text, slot.bounds, shortest !== undefined);
          if (typeof checked === 'number') {
            valuesJson += slot.key + (shortest ?? String(checked));
          } else problem = checked;
        }
      }
      if (problem !== undefined) problems.push(`${slot.name}: ${JSON.stringify(text)} ${problem}`);
    }
    if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
    let bootId = this.bootIds.get(deviceId);
    if (bootId === undefined) {
      bootId = importBootId(deviceId);
      this.bootIds.set(deviceId, bootId);
    }
    const readingSeq = seq ?? derivedSeq(tsMs);
    // seq is a safe integer and ts is in the contract's pattern (parseCsvTimestamp): neither needs
    // escaping.
    const json = `{"seq":${readingSeq},"ts":"${ts}"${valuesJson}}`;
    return { ok: true, deviceId, bootId, seq: readingSeq, ts, json };
  }

  /** The time, or why it is refused. */
  private checkTimestamp(text: string): { ms: number; iso: string } | string {
    const parsed = parseCsvTimestamp(text);
    if (!parsed.ok) return parsed.reason;
    if (parsed.ms < EARLIEST_READING_MS) {
      return `is ${parsed.iso}, before 2012-01-01, the earliest the import takes`;
    }
    if (parsed.ms > this.latestMs) return `is ${parsed.iso}, more than a day in the future`;
    return parsed;
  }
}

let contractCovered = false;

/**
 * The row checks stand for the contract's reading schema only while they cover every rule of it:
 * checked once per process, and an import refuses to start (a bug here, never the file's fault)
 * when the schema has gained a rule the checks do not make.
 */
function assertChecksCoverContract(): void {
  if (contractCovered) return;
  const problems = uncoveredReadingRules(
    telemetrySchema.definitions.reading,
    CSV_COLUMNS.filter((column) => column.field !== 'deviceId'),
  );
  if (problems.length > 0) {
    throw new ImportInvariantError(
      `the import's checks no longer cover the telemetry contract: ${problems.join('; ')}`,
    );
  }
  contractCovered = true;
}

/**
 * The text JSON.stringify(Number(text)) would give, when the text's own digits are it: a plain
 * decimal (no sign but '-', no exponent, no leading zeros) with at most 15 significant digits and
 * 0.000001 ≤ |value| < 10^15, once trailing zeros of its fraction are dropped. Any decimal of at most
 * 15 significant digits survives a trip through a double unchanged (DBL_DIG), so the shortest text
 * of that double is those digits, and in that range JavaScript writes them without an exponent.
 * Undefined for anything else, which then goes through String(value). Saves a double-to-text
 * conversion per value.
 */
export function shortestNumberText(text: string): string | undefined {
  const length = text.length;
  const negative = text.charCodeAt(0) === 45; // -
  let at = negative ? 1 : 0;
  const first = text.charCodeAt(at);
  if (first === 48) at += 1;
  else if (first >= 49 && first <= 57) {
    at += 1;
    while (at < length && isDigit(text.charCodeAt(at))) at += 1;
  } else return undefined;
  const integerEnd = at;
  let end = integerEnd;
  if (at < length) {
    if (text.charCodeAt(at) !== 46) return undefined; // .
    for (at += 1; at < length; at += 1) if (!isDigit(text.charCodeAt(at))) return undefined;
    end = length;
    while (end > integerEnd + 1 && text.charCodeAt(end - 1) === 48) end -= 1;
    if (end === integerEnd + 1) end = integerEnd; // nothing but zeros after the point
  }
  const integerDigits = integerEnd - (negative ? 1 : 0);
  const fractionDigits = end > integerEnd ? end - integerEnd - 1 : 0;
  if (first === 48) {
    if (fractionDigits === 0) return '0'; // 0, -0, 0.000: JSON has no negative zero
    let zeros = 0;
    while (text.charCodeAt(integerEnd + 1 + zeros) === 48) zeros += 1;
    // 0.0000001 and smaller are written with an exponent (1e-7).
    if (zeros > 5 || fractionDigits - zeros > 15) return undefined;
  } else if (integerDigits + fractionDigits > 15) return undefined;
  return end === length ? text : text.slice(0, end);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The number, or why the text is not one within the schema's bounds. */
function checkNumber(text: string, bounds: Bounds, plainDecimal: boolean): number | string {
  if (!plainDecimal && !DECIMAL.test(text)) {
    return DECIMAL_COMMA.test(text) ? "is not a number (use '.' as the decimal point)" : 'is not a number';
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return 'is too large';
  if (bounds.minimum !== undefined && value < bounds.minimum) return `is below ${bounds.minimum}`;
  if (bounds.maximum !== undefined && value > bounds.maximum) return `is above ${bounds.maximum}`;
  return value;
}
