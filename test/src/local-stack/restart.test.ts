import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, queryLake, startTestStack, tempDataDir, testStackOptions } from './stack-harness.js';

interface SeqSpan {
  device_id: string;
  readings: number;
  distinct_seqs: number;
  min_seq: number;
  max_seq: number;
}

const SPAN_SQL = `SELECT device_id, count(*) AS readings, count(DISTINCT seq) AS distinct_seqs,
                         min(seq) AS min_seq, max(seq) AS max_seq
                    FROM telemetry GROUP BY device_id ORDER BY device_id`;

describe('npm start twice on one data directory', () => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;

  beforeAll(async () => {
    dataDir = await tempDataDir();
  });
  afterAll(() => dataDir?.remove());

  it('carries on: seq continues, coffees and readings are not duplicated', async () => {
    const options = testStackOptions(dataDir.path, { devices: 2 });

    const first = await startTestStack(options);
    let before: SeqSpan[];
    try {
      await first.press('coffee-pi-1');
      before = await eventually(
        'a coffee and 5 readings per device',
        async () => {
          const coffees = await queryLake<{ n: number }>(
            first.lakeDir,
            first.databaseUrl,
            'SELECT count(*) AS n FROM coffees',
          );
          const spans = await queryLake<SeqSpan>(first.lakeDir, first.databaseUrl, SPAN_SQL);
          return Number(coffees[0]?.n) === 1 &&
            spans.length === 2 &&
            spans.every((s) => Number(s.readings) >= 5)
            ? spans
            : undefined;
        },
        60_000,
      );
    } finally {
      await first.stop();
    }

    const second = await startTestStack(options);
    let after: SeqSpan[];
    try {
      await second.press('coffee-pi-1');
      after = await eventually(
        'the second run’s coffee and readings',
        async () => {
          const coffees = await queryLake<{ n: number }>(
            second.lakeDir,
            second.databaseUrl,
            'SELECT count(*) AS n FROM coffees',
          );
          const spans = await queryLake<SeqSpan>(second.lakeDir, second.databaseUrl, SPAN_SQL);
          const grown = spans.every(
            (span, index) => Number(span.max_seq) >= Number(before[index]?.max_seq) + 5,
          );
          return Number(coffees[0]?.n) === 2 && spans.length === 2 && grown ? spans : undefined;
        },
        60_000,
      );
    } finally {
      await second.stop();
    }

    for (const [index, span] of after.entries()) {
      // The same boot sequence carried on: the second run starts where the first stopped.
      expect(Number(span.min_seq)).toBe(Number(before[index]?.min_seq));
      // Every reading once, none missing across the restart.
      expect(Number(span.readings)).toBe(Number(span.distinct_seqs));
      expect(Number(span.readings)).toBe(Number(span.max_seq) - Number(span.min_seq) + 1);
    }
    const coffees = await queryLake<{ photo_key: string }>(
      after.length ? `${dataDir.path}/lake` : '',
      `sqlite:${dataDir.path}/coffee-iot.sqlite`,
      'SELECT DISTINCT photo_key FROM coffees_all',
    );
    expect(coffees).toHaveLength(2);
  }, 180_000);
});
