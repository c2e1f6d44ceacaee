import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TelemetryReading } from '@coffee-iot/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalLake, openLocalLake, parseErrorLines } from '../../../cloud/src/lake/local/index.js';
import { at, BOOT, queryLake, reading, telemetryRecord, tempLake } from './local-lake-fixtures.js';

/**
 * Issue 12, defect 3: a catch-up envelope of 400 readings with three bad ones lands the other
 * 397, and every reading sent is accounted for exactly once: landed, duplicate or in errors/.
 */
const DEVICE = 'coffee-pi-a';
const ARRIVED = at('2026-03-05T10:30:00.000Z');

/** Readings 1…400, with three refused by the shared rules: out of range, from the future, seq 0. */
function catchUpEnvelope(): {
  readings: TelemetryReading[];
  bad: Map<number, { seq: number; reason: RegExp }>;
} {
  const readings = Array.from({ length: 400 }, (_, i) => reading(i + 1, 20 + (i % 10)));
  const bad = new Map<number, { seq: number; reason: RegExp }>();
  readings[99] = { ...reading(100, 20), temperature: 500 };
  bad.set(99, { seq: 100, reason: /^\/readings\/99\/temperature/ });
  readings[199] = reading(200, 20, '2026-03-05T12:00:00.000Z');
  bad.set(199, { seq: 200, reason: /^\/readings\/199\/ts: .* after the message arrived/ });
  readings[299] = { ...reading(300, 20), seq: 0 };
  bad.set(299, { seq: 0, reason: /^\/readings\/299\/seq/ });
  return { readings, bad };
}

describe('LocalLake: one envelope, readings checked one by one', () => {
  let lake: LocalLake | undefined;
  let lakeDir: string;
  let removeLake: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: lakeDir, remove: removeLake } = await tempLake());
  });
  afterEach(async () => {
    await lake?.close();
    lake = undefined;
    await removeLake();
  });

  it('lands 397 of 400 readings, puts the 3 bad ones in errors/ with device, seq and reason, and accounts for all', async () => {
    lake = await openLocalLake(lakeDir);
    // Ten of the readings are in the lake already: the envelope is a catch-up after a lost PUBACK.
    const earlier = await lake.ingest(
      [telemetryRecord(DEVICE, catchUpEnvelope().readings.slice(0, 10))],
      ARRIVED,
    );
    expect(earlier.telemetryRows).toBe(10);

    const { readings, bad } = catchUpEnvelope();
    const report = await lake.ingest([telemetryRecord(DEVICE, readings)], ARRIVED);

    expect(report).toMatchObject({
      records: 1,
      telemetryRows: 387,
      duplicateReadings: 10,
      rejected: 3,
      rejectedReadings: 3,
      identityMismatches: 0,
    });
    expect(report.telemetryRows + report.duplicateReadings + report.rejectedReadings).toBe(readings.length);

    const errorsFile = report.files.find((file) => file.table === 'errors');
    expect(errorsFile?.rows).toBe(3);
    const lines = parseErrorLines(await readFile(join(lakeDir, errorsFile?.key as string), 'utf8'));
    const rawKey = report.rawFiles[0] as string;
    expect(lines).toHaveLength(3);
    for (const [index, { seq, reason }] of bad) {
      const line = lines.find((l) => l.id === `${rawKey}:1#/readings/${index}`);
      expect(line, `reading ${index}`).toMatchObject({
        arrivedAt: ARRIVED.toISOString(),
        deviceId: DEVICE,
        bootId: BOOT,
        seq,
        reason: expect.stringMatching(reason),
      });
      expect(JSON.parse(line?.data as string)).toEqual(readings[index]);
    }

    const [landed] = await queryLake(
      lakeDir,
      `SELECT count(*) AS n, count(DISTINCT seq) AS seqs, max(temperature) AS hottest
         FROM telemetry WHERE device_id = '${DEVICE}'`,
    );
    expect(landed).toEqual({ n: '397', seqs: '397', hottest: 29 });
    const missing = await queryLake(
      lakeDir,
      `SELECT s.seq FROM range(1, 401) s(seq)
         LEFT JOIN telemetry t ON t.seq = s.seq AND t.device_id = '${DEVICE}'
        WHERE t.seq IS NULL ORDER BY 1`,
    );
    // Seq 300's reading carried seq 0: its place stays empty; the other two are the refused ones.
    expect(missing.map((row) => Number(row.seq))).toEqual([100, 200, 300]);
  });
});
