import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { readCsvRowsWithParser } from './csv-parse-rows.js';

/** One CSV record with where it sits in the file. */
export interface CsvRow {
  /** Physical line the record starts on (1-based). */
  line: number;
  /** Physical line it ends on: more than `line` when a quoted field holds a line break. */
  endLine: number;
  fields: string[];
}

export interface CsvReadResult {
  /** Set when a CSV syntax error ended the read: no row from `line` on was handed over. */
  stoppedAt: { line: number; reason: string } | null;
}

/** Bytes read from the source so far; read at any time for progress. */
export interface ByteCount {
  bytes: number;
}

const LF = 10;
const CR = 13;

/**
 * Streams a CSV source and hands each record to `onRow` in file order. When `onRow` returns a
 * promise (the stream is busy) the read waits for it, so memory stays bounded whatever the file's
 * size; when it returns nothing the next row follows at once: no await per row.
 *
 * Quote-free text, nearly every backfill, is read here: lines end at CRLF, LF or CR, fields are
 * split at commas and trimmed of whitespace, a BOM at the start is skipped, a line of nothing but
 * whitespace is blank (counted, not handed over). That is what csv-parse makes of such text with
 * the options of csv-parse-rows.ts, at a fraction of the cost (csv-rows.test pins the two
 * together). From the first line holding a quote on, the rest of the file goes through csv-parse
 * (readCsvRowsWithParser): quoted fields, line breaks inside them and syntax errors are its job.
 */
export async function readCsvRows(
  source: NodeJS.ReadableStream,
  onRow: (row: CsvRow) => Promise<void> | void,
  counter: ByteCount = { bytes: 0 },
): Promise<CsvReadResult> {
  const decoder = new StringDecoder('utf8');
  const chunks = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  try {
    return await readQuoteFree(chunks, decoder, onRow, counter);
  } catch (error) {
    // Stop reading (closes the file) whatever failed: the source, a row or the stream behind it.
    await chunks.return?.().catch(() => undefined);
    throw error;
  }
}

async function readQuoteFree(
  chunks: AsyncIterator<Buffer | string>,
  decoder: StringDecoder,
  onRow: (row: CsvRow) => Promise<void> | void,
  counter: ByteCount,
): Promise<CsvReadResult> {
  let line = 0;
  let pending = '';
  let atStart = true;
  for (;;) {
    const next = await chunks.next();
    let text: string;
    if (next.done) {
      text = pending + decoder.end();
    } else {
      const chunk = next.value;
      counter.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      text = pending + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    }
    if (atStart && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      atStart = text.length === 0;
    }
    const final = next.done === true;
    // A CR at the end of a chunk may be the first half of a CRLF: wait for the next chunk.
    const usable = !final && text.charCodeAt(text.length - 1) === CR ? text.length - 1 : text.length;
    let from = 0;
    const quoteAt = text.indexOf('"');
    let crAt = text.indexOf('\r');
    let lfAt = text.indexOf('\n');
    while (from < usable) {
      if (lfAt !== -1 && lfAt < from) lfAt = text.indexOf('\n', from);
      if (crAt !== -1 && crAt < from) crAt = text.indexOf('\r', from);
      const breakAt = lfAt === -1 ? crAt : crAt === -1 ? lfAt : Math.min(lfAt, crAt);
      // The line goes on in the next chunk (or its CR may be the start of a CRLF).
      if ((breakAt === -1 || breakAt >= usable) && !final) break;
      const end = breakAt === -1 ? usable : breakAt;
      if (quoteAt !== -1 && quoteAt < end) {
        // A quote: csv-parse reads the rest of the file, from this line on.
        return readCsvRowsWithParser(Readable.from(rest(text.slice(from), decoder, chunks, counter)), onRow, {
          firstLine: line + 1,
          bom: false,
        });
      }
      line += 1;
      const fields = splitFields(text, from, end);
      if (!(fields.length === 1 && fields[0] === '')) {
        const waiting = onRow({ line, endLine: line, fields });
        if (waiting !== undefined) await waiting;
      }
      if (breakAt === -1) {
        from = usable;
        break;
      }
      from = breakAt + (text.charCodeAt(breakAt) === CR && text.charCodeAt(breakAt + 1) === LF ? 2 : 1);
    }
    if (final) return { stoppedAt: null };
    pending = text.slice(from);
  }
}

/** The fields of text[from, end): split at commas, trimmed as csv-parse's `trim` does. */
function splitFields(text: string, from: number, end: number): string[] {
  const fields: string[] = [];
  let start = from;
  for (;;) {
    const comma = text.indexOf(',', start);
    const stop = comma === -1 || comma > end ? end : comma;
    fields.push(trimmed(text, start, stop));
    if (stop === end) return fields;
    start = stop + 1;
  }
}

/** text[from, to) without the whitespace String.prototype.trim removes (csv-parse's trim set). */
function trimmed(text: string, from: number, to: number): string {
  const first = text.charCodeAt(from);
  const last = text.charCodeAt(to - 1);
  // Printable ASCII at both ends, the common case: no trim needed.
  if (to > from && first > 32 && first < 127 && last > 32 && last < 127) return text.slice(from, to);
  return text.slice(from, to).trim();
}

/** The rest of the file as bytes, from `head` on: what is left of the decoded text, then the source. */
async function* rest(
  head: string,
  decoder: StringDecoder,
  chunks: AsyncIterator<Buffer | string>,
  counter: ByteCount,
): AsyncGenerator<Buffer> {
  let done = false;
  try {
    yield Buffer.from(head);
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        done = true;
        const tail = decoder.end();
        if (tail !== '') yield Buffer.from(tail);
        return;
      }
      const chunk = next.value;
      counter.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      yield Buffer.from(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    }
  } finally {
    // Ended early (a syntax error, a failed row): stop reading the source too.
    if (!done) await chunks.return?.();
  }
}
