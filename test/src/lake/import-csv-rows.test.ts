import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  type CsvReadResult,
  type CsvRow,
  readCsvRows,
  readCsvRowsWithParser,
} from '../../../cloud/src/lake/import/index.js';

/** The text in chunks of `size` bytes (multi-byte characters split too), or as strings. */
function source(text: string, size: number, strings = false): Readable {
  if (strings) return Readable.from(text.length === 0 ? [] : [text], { objectMode: false });
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks, { objectMode: false });
}

async function rowsOf(
  read: typeof readCsvRows,
  text: string,
  size: number,
  strings = false,
): Promise<{ rows: CsvRow[]; result: CsvReadResult; bytes: number }> {
  const rows: CsvRow[] = [];
  const counter = { bytes: 0 };
  const result = await read(source(text, size, strings), (row) => void rows.push(row), counter);
  return { rows, result, bytes: counter.bytes };
}

// Quote-free text the import reads itself, and text with quotes it hands to csv-parse part-way.
const INPUTS: Record<string, string> = {
  lf: 'a,b,c\n1,2,3\n4,5,6\n',
  crlf: 'a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n',
  'cr only': 'a,b,c\r1,2,3\r\r4,5,6\r',
  mixed: 'a,b\n1,2\r\n3,4\r5,6\n\n\r\n7,8',
  'no final break': 'a,b\n1,2',
  'final CR': 'a,b\n1,2\r',
  bom: '\uFEFFa,b\n1,2\n',
  'bom alone': '\uFEFF',
  empty: '',
  'blank lines only': '\n\r\n  \n\t\n',
  whitespace: ' a , b\t,\u00a0c\u00a0,\u3000d\u2028, \v e \f\n 1 ,, \t ,\n',
  'empty fields': ',\n,,\n a,\n',
  'multi-byte': 'gerät,température,湿度\ncoffee-é,2€,😀\n',
  'quote in header': '"a",b\n1,2\n3,4\n',
  'quote later': 'a,b\n1,2\n\n3,"4"\n5,6\n"7\r\nx",8\n9,10\n',
  'stray quote': 'a,b\n1,2\n3,4"5\n6,7\n',
  'quoted line break': 'a,b\n1,2\r\n"x\r\ny",3\r\n4,5\r\n',
  'unclosed quote': 'a,b\n1,2\n3,"4\n5,6\n7,8\n',
  'text after closing quote': 'a,b\n1,2\n\n3,"4" x\n5,6\n',
  'quote after spaces': 'a,b\n1,2\n  "3" ,4\n',
};

describe('readCsvRows', () => {
  for (const [name, text] of Object.entries(INPUTS)) {
    it(`reads ${name} as csv-parse does, with the same line numbers, in any chunking`, async () => {
      const expected = await rowsOf(readCsvRowsWithParser as typeof readCsvRows, text, 1 << 16);
      for (const size of [1, 2, 3, 5, 64, 1 << 16]) {
        const actual = await rowsOf(readCsvRows, text, size);
        expect({ size, rows: actual.rows, result: actual.result }).toEqual({
          size,
          ...expected,
          bytes: undefined,
        });
        expect(actual.bytes).toBe(Buffer.byteLength(text));
      }
      const fromStrings = await rowsOf(readCsvRows, text, 1, true);
      expect(fromStrings.rows).toEqual(expected.rows);
      expect(fromStrings.result).toEqual(expected.result);
    });
  }

  it('numbers lines across blank lines, CR-only breaks and the switch to csv-parse', async () => {
    const { rows, result } = await rowsOf(readCsvRows, 'h\r\n\r\n1\r2\n\n"3\n3"\n4', 3);
    expect(rows.map(({ line, endLine, fields }) => [line, endLine, ...fields])).toEqual([
      [1, 1, 'h'],
      [3, 3, '1'],
      [4, 4, '2'],
      [6, 7, '3\n3'],
      [8, 8, '4'],
    ]);
    expect(result.stoppedAt).toBeNull();
  });

  it('waits for a row that returns a promise before reading on, and none for rows that do not', async () => {
    const order: string[] = [];
    await readCsvRows(source('a\nb\nc\n', 1), (row) => {
      order.push(`row ${row.fields[0]}`);
      if (row.fields[0] === 'b') {
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            order.push('b done');
            resolve();
          }),
        );
      }
      return undefined;
    });
    expect(order).toEqual(['row a', 'row b', 'b done', 'row c']);
  });

  it("fails with the source's own error when the source fails part-way, after the rows before it", async () => {
    const rows: number[] = [];
    const failing = new Readable({
      read() {
        if (rows.length === 0 && this.readableLength === 0) this.push(Buffer.from('a,b\n1,2\n3,'));
        else this.destroy(new Error('disk gone'));
      },
    });
    const error = await readCsvRows(failing, (row) => void rows.push(row.line)).catch((e: unknown) => e);
    expect((error as Error).message).toBe('disk gone');
    expect(rows).toEqual([1, 2]);
  });

  it('stops reading the source when a row fails', async () => {
    const text = Array.from({ length: 10_000 }, (_, i) => `${i},x`).join('\n');
    const input = source(text, 64);
    const error = await readCsvRows(input, (row) => {
      if (row.line === 3) throw new Error('row 3 failed');
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('row 3 failed');
    expect(input.destroyed).toBe(true);
  });
});
