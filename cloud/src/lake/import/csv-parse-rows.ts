import { pipeline } from 'node:stream/promises';
import { type CsvError, parse } from 'csv-parse';
import type { CsvReadResult, CsvRow } from './csv-rows.js';

const LINE_BREAK = /\r\n|\r|\n/g;

/**
 * The general reader, for text with quotes (csv-rows.ts reads quote-free text itself and hands the
 * rest of the file here from the first line with a quote). `firstLine` is the physical line the
 * source starts on; `bom` whether it is the file's start (a BOM is only skipped there).
 *
 * Streams a CSV source through csv-parse and hands each record to `onRow` in file order, awaiting
 * it: an `onRow` that waits (for the stream) stops the reading, so memory stays bounded whatever
 * the file's size.
 *
 * Two csv-parse behaviours are worked around here (csv-parse 7):
 * - its `info.lines` counts a CRLF inside a quoted field as two lines, and mixed line ends drift
 *   further; the physical line is counted here instead, from the records themselves (blank lines
 *   included), as an editor would number them.
 * - after a quoting error (`"a"b`, an unclosed quote) it cannot find the next record reliably and
 *   may swallow the rest of the file without a word. So a syntax error ends the read: every row
 *   before it is handed over, and `stoppedAt` names the line from which nothing was read.
 *   A stray quote inside an unquoted field (`2x"3`) is kept as text (relax_quotes), so the row is
 *   refused for its value instead.
 */
export async function readCsvRowsWithParser(
  source: NodeJS.ReadableStream,
  onRow: (row: CsvRow) => Promise<void> | void,
  options: { firstLine?: number; bom?: boolean } = {},
): Promise<CsvReadResult> {
  let syntaxError: { error: CsvError; recordsBefore: number } | undefined;
  const parser = parse({
    bom: options.bom ?? true,
    trim: true,
    // Blank lines come through as [''] and are skipped below, so every physical line is seen and
    // counted here (and csv-parse's costly per-record info snapshots are not needed).
    skip_empty_lines: false,
    relax_quotes: true,
    // Rows with the wrong number of fields are refused one by one (with their line) by the caller.
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    // Only to learn where a syntax error happened; the read stops there (see above).
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error !== undefined && syntaxError === undefined) {
        syntaxError = { error, recordsBefore: parser.info.records };
      }
    },
  });

  let endLine = (options.firstLine ?? 1) - 1;
  let emitted = 0;
  const stopped = (): CsvReadResult => ({
    stoppedAt: syntaxError ? { line: endLine + 1, reason: describeSyntaxError(syntaxError.error) } : null,
  });

  // What onRow threw: Node 20's pipeline reports an AbortError in its place (the iterator's return
  // destroys the parser first), and the caller needs the real error (a header or stream error).
  let rowFailure: { error: unknown } | undefined;
  try {
    return await pipeline(source, parser, async (records: AsyncIterable<string[]>) => {
      for await (const record of records) {
        emitted += 1;
        if (syntaxError && emitted > syntaxError.recordsBefore) return stopped();
        const line = endLine + 1;
        endLine = line + countLineBreaks(record);
        if (!(record.length === 1 && record[0] === '')) {
          try {
            const waiting = onRow({ line, endLine, fields: record });
            if (waiting !== undefined) await waiting;
          } catch (error) {
            rowFailure = { error };
            throw error;
          }
        }
        if (syntaxError && emitted >= syntaxError.recordsBefore) return stopped();
      }
      return stopped();
    });
  } catch (error) {
    throw rowFailure ? rowFailure.error : error;
  }
}

function countLineBreaks(fields: readonly string[]): number {
  let breaks = 0;
  for (const field of fields) {
    if (field.includes('\n') || field.includes('\r')) breaks += field.match(LINE_BREAK)?.length ?? 0;
  }
  return breaks;
}

function describeSyntaxError(error: CsvError): string {
  // csv-parse's own "at line N" can be wrong (see above): the caller states the line.
  const message = error.message.replace(/ at line \d+/, '');
  return `invalid CSV (${error.code}: ${message}); the rest of the file was not read`;
}
