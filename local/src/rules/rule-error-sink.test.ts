import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRuleErrorLines, ruleErrorPayload, ruleErrorRecord } from '@coffee-iot/cloud/lake';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { LakeRuleErrors } from './rule-error-sink.js';

const record = (n: number, at = '2026-03-05T10:59:59.900Z') =>
  ruleErrorRecord({
    ruleName: 'coffee_iot_telemetry',
    topic: 'dt/coffee-iot/coffee-pi-1/telemetry',
    clientId: 'coffee-pi-1',
    payload: Buffer.from([0xff, n]),
    arrivedAt: new Date(at),
    reason: 'payload is not UTF-8 (2 bytes)',
    failedAction: 'KinesisAction',
    failedResource: 'coffee-iot-ingest',
  });

async function filesUnder(dir: string): Promise<string[]> {
  const names = (await readdir(dir, { recursive: true })) as string[];
  return names
    .filter((name) => name.endsWith('.json') && !name.split('/').some((p) => p.startsWith('.')))
    .sort();
}

describe('LakeRuleErrors', () => {
  let temp: TempDir;
  beforeEach(async () => {
    temp = await tempDir('rule-errors');
  });
  afterEach(() => temp.remove());

  it('writes refused messages under errors/rule/ by arrival hour, one per line, bytes intact', async () => {
    const logs = captureLogs();
    const sink = new LakeRuleErrors({ lakeDir: temp.dir, logger: logs.logger });
    sink.refuse(record(1));
    sink.refuse(record(2, '2026-03-05T11:00:00.100Z'));
    sink.refuse(record(3));

    await sink.stop();

    const files = await filesUnder(temp.dir);
    expect(files).toEqual([
      expect.stringMatching(
        /^errors\/rule\/ingest_year=2026\/ingest_month=03\/ingest_day=05\/ingest_hour=10\/\d+-[0-9a-f-]+\.json$/,
      ),
      expect.stringMatching(
        /^errors\/rule\/ingest_year=2026\/ingest_month=03\/ingest_day=05\/ingest_hour=11\//,
      ),
    ]);
    const tenOClock = parseRuleErrorLines(await readFile(join(temp.dir, files[0] as string), 'utf8'));
    expect(tenOClock.map((line) => [...ruleErrorPayload(line)])).toEqual([
      [0xff, 1],
      [0xff, 3],
    ]);
    expect(sink.counters).toEqual({ refused: 3, written: 3, failedWrites: 0, dropped: 0 });
  });

  it('keeps what it could not write and writes it first on the next flush', async () => {
    const logs = captureLogs();
    const sink = new LakeRuleErrors({ lakeDir: temp.dir, logger: logs.logger });
    // A file where the errors/ directory should be: every write fails (ENOTDIR), even as root.
    await writeFile(join(temp.dir, 'errors'), 'in the way');
    sink.refuse(record(1));
    await sink.flush();
    expect(sink.counters).toEqual({ refused: 1, written: 0, failedWrites: 1, dropped: 0 });
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: LEVEL.error, records: 1 }));

    await rm(join(temp.dir, 'errors'));
    sink.refuse(record(2));
    await sink.flush();

    expect(sink.counters).toEqual({ refused: 2, written: 2, failedWrites: 1, dropped: 0 });
    const [file] = await filesUnder(temp.dir);
    const lines = parseRuleErrorLines(await readFile(join(temp.dir, file as string), 'utf8'));
    expect(lines.map((line) => [...ruleErrorPayload(line)])).toEqual([
      [0xff, 1],
      [0xff, 2],
    ]);
    await sink.stop();
  });

  it('counts and logs as dropped what the lake still refuses at stop()', async () => {
    const logs = captureLogs();
    const sink = new LakeRuleErrors({ lakeDir: temp.dir, logger: logs.logger });
    await writeFile(join(temp.dir, 'errors'), 'in the way');
    sink.refuse(record(1));

    await sink.stop();

    expect(sink.counters).toEqual({ refused: 1, written: 0, failedWrites: 1, dropped: 1 });
    expect(logs.lines.at(-1)).toMatchObject({ level: LEVEL.error, records: 1 });
    expect(logs.lines.at(-1)?.msg).toContain('they are lost');
  });

  it('drops the oldest past maxPending, counting and logging it', async () => {
    const logs = captureLogs();
    const sink = new LakeRuleErrors({ lakeDir: temp.dir, logger: logs.logger, maxPending: 2 });
    for (const n of [1, 2, 3]) sink.refuse(record(n));
    await sink.stop();

    expect(sink.counters).toEqual({ refused: 3, written: 2, failedWrites: 0, dropped: 1 });
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: LEVEL.error, dropped: 1, maxPending: 2 }),
    );
  });
});
