import { describe, expect, it } from 'vitest';
import { ImportProgressView } from '../../../cloud/src/lake/import/import-progress-view.js';
import type { ImportProgress } from '../../../cloud/src/lake/import/import-report.js';

function fakeStderr(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, write: (text: string) => writes.push(text) } };
}

function at(lines: number, refused = 0, bytesRead = lines * 100): ImportProgress {
  return { bytesRead, totalBytes: 1_000_000, lines, accepted: lines - refused, refused };
}

describe('ImportProgressView', () => {
  it('redraws one bar in place on a terminal, at most every 100 ms, and ends its line when done', () => {
    let now = 0;
    const { writes, out } = fakeStderr(true);
    const view = new ImportProgressView(out, { clock: () => now, barWidth: 10 });

    now = 1_000;
    view.update(at(2_000));
    now = 1_050;
    view.update(at(3_000)); // too soon: not drawn
    now = 2_000;
    view.update(at(5_000, 3));
    now = 4_000;
    view.finish(at(10_000, 7));

    expect(writes).toEqual([
      '\r\x1b[2Kimporting [##--------]  20%  2,000 lines  2,000 lines/s  0 refused',
      '\r\x1b[2Kimporting [#####-----]  50%  5,000 lines  2,500 lines/s  3 refused',
      '\r\x1b[2Kimporting [##########] 100%  10,000 lines  2,500 lines/s  7 refused',
      '\n',
    ]);
  });

  it('writes a plain line every 5 s when stderr is not a terminal, and nothing at the end', () => {
    let now = 0;
    const { writes, out } = fakeStderr(false);
    const view = new ImportProgressView(out, { clock: () => now });

    for (const [ms, lines] of [
      [1_000, 1_000],
      [4_999, 5_000],
      [5_000, 6_000],
      [9_000, 9_000],
      [10_000, 10_000],
    ] as const) {
      now = ms;
      view.update(at(lines, 1));
    }
    view.finish(at(10_000, 1));

    expect(writes).toEqual([
      'import:  60%, 6,000 lines, 1,200 lines/s, 1 refused (0.6 of 1.0 MB)\n',
      'import: 100%, 10,000 lines, 1,000 lines/s, 1 refused (1.0 of 1.0 MB)\n',
    ]);
  });

  it('shows lines and bytes read when the size is unknown (a pipe)', () => {
    let now = 0;
    const { writes, out } = fakeStderr(false);
    const view = new ImportProgressView(out, { clock: () => now });
    now = 5_000;
    view.update({ bytesRead: 2_500_000, lines: 25_000, accepted: 25_000, refused: 0 });
    expect(writes).toEqual(['import: 25,000 lines, 5,000 lines/s, 0 refused (2.5 MB read)\n']);
  });
});
