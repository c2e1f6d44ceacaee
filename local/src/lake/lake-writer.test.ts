import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CompactionStep,
  CuratedWriteError,
  type IngestReport,
  type LocalLake,
  openLocalLake,
  RawArchiveWriteError,
} from '@coffee-iot/cloud/lake';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fullReading, telemetryIngestJson } from '../../../cloud/src/testing/ingest-records.js';
import { CheckpointFile } from '../kinesis/checkpoints.js';
import type { StreamRecord } from '../kinesis/stream-reader.js';
import { curatedFiles, queryLake } from '../testing/lake-query.js';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { type TempDir, tempDir } from '../testing/temp-dir.js';
import { LakeWriter, type LakeWriterOptions } from './lake-writer.js';

const BOOT = '6f1c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f';
const FIRST_READING_MS = Date.parse('2026-03-05T09:00:00.000Z');
const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';
const encoder = new TextEncoder();

/** The telemetry ingest record of `device` with readings `seqs`, as the stream reader hands it on. */
function telemetry(shardId: string, sequenceNumber: string, device: string, seqs: number[]): StreamRecord {
  const readings = seqs.map((seq) => fullReading(seq, FIRST_READING_MS));
  return {
    shardId,
    sequenceNumber,
    partitionKey: device,
    data: encoder.encode(telemetryIngestJson(device, BOOT, readings)),
  };
}

function report(records: number): IngestReport {
  return {
    records,
    telemetryRows: records,
    coffeeRows: 0,
    rejected: 0,
    rejectedReadings: 0,
    identityMismatches: 0,
    duplicateReadings: 0,
    duplicateCoffees: 0,
    rawFiles: [],
    files: [],
  };
}

/** A LocalLake stand-in whose ingest answers as scripted, recording the partition keys of every call. */
function scriptedLake(lakeDir: string, ...outcomes: (Error | 'ok')[]) {
  const calls: string[][] = [];
  const lake = {
    lakeDir,
    ingest: vi.fn(async (records: readonly { partitionKey: string; data: Uint8Array }[]) => {
      calls.push(records.map((record) => new TextDecoder().decode(record.data)));
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome instanceof Error) throw outcome;
      return report(records.length);
    }),
  };
  return { lake: lake as unknown as LocalLake, calls };
}

describe('LakeWriter', () => {
  let temp: TempDir;
  let lakeDir: string;
  let checkpointPath: string;
  let now: Date;
  const clock = () => now;
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(async () => {
    temp = await tempDir('lake-writer');
    lakeDir = join(temp.dir, 'lake');
    checkpointPath = join(temp.dir, 'checkpoints.json');
    now = new Date('2026-03-05T10:20:00.000Z');
    logs = captureLogs();
  });

  afterEach(async () => {
    await temp.remove();
  });

  function writer(
    lake: LocalLake,
    maxBuffered = 10_000,
    onIngested?: (report: IngestReport) => void,
    compaction?: LakeWriterOptions['compaction'],
    flushMs = 60_000,
  ) {
    return new LakeWriter({
      lake,
      checkpoints: new CheckpointFile(checkpointPath),
      logger: logs.logger,
      flushMs,
      maxBuffered,
      now: clock,
      ...(onIngested ? { onIngested } : {}),
      ...(compaction !== undefined ? { compaction } : {}),
    });
  }

  const savedCheckpoints = async () =>
    JSON.parse(await readFile(checkpointPath, 'utf8')) as Record<string, string>;

  describe('with a real local lake', () => {
    let lake: LocalLake;

    beforeEach(async () => {
      lake = await openLocalLake(lakeDir, { now: clock });
    });

    afterEach(async () => {
      await lake.close();
    });

    it('writes buffered records on flush(), queryable, then checkpoints the last sequence per shard', async () => {
      const reports: IngestReport[] = [];
      const lakeWriter = writer(lake, 10_000, (ingested) => reports.push(ingested));
      await lakeWriter.accept([
        telemetry(SHARD_0, '100', 'coffee-pi-1', [1, 2, 3]),
        telemetry(SHARD_1, '49546986683135544286507457936321625675700192471156785154', 'coffee-pi-2', [1, 2]),
      ]);
      await lakeWriter.accept([telemetry(SHARD_0, '105', 'coffee-pi-1', [4])]);
      // Gathered, not yet written.
      expect(await queryLake(lakeDir, 'SELECT count(*)::INTEGER AS n FROM telemetry')).toEqual([{ n: 0 }]);

      await lakeWriter.flush();

      expect(
        await queryLake(
          lakeDir,
          'SELECT device_id, count(*)::INTEGER AS n, max(seq)::INTEGER AS last FROM telemetry GROUP BY 1 ORDER BY 1',
        ),
      ).toEqual([
        { device_id: 'coffee-pi-1', n: 4, last: 4 },
        { device_id: 'coffee-pi-2', n: 2, last: 2 },
      ]);
      expect(await savedCheckpoints()).toEqual({
        [SHARD_0]: '105',
        [SHARD_1]: '49546986683135544286507457936321625675700192471156785154',
      });
      expect(lakeWriter.counters).toMatchObject({
        recordsWritten: 3,
        writes: 1,
        rejected: 0,
        failedWrites: 0,
      });
      expect(reports).toEqual([expect.objectContaining({ records: 3, telemetryRows: 6 })]);
    });

    it('counts records the lake refuses and duplicate readings, writing the rest', async () => {
      const lakeWriter = writer(lake);
      await lakeWriter.accept([
        telemetry(SHARD_0, '1', 'coffee-pi-1', [1, 2]),
        {
          shardId: SHARD_0,
          sequenceNumber: '2',
          partitionKey: 'coffee-pi-1',
          data: encoder.encode('{not json'),
        },
        telemetry(SHARD_0, '3', 'coffee-pi-1', [2, 3]),
      ]);

      await lakeWriter.flush();

      expect(lakeWriter.counters).toMatchObject({ recordsWritten: 3, rejected: 1, duplicateReadings: 1 });
      expect(await queryLake(lakeDir, 'SELECT count(*)::INTEGER AS n FROM telemetry')).toEqual([{ n: 3 }]);
      expect(await savedCheckpoints()).toEqual({ [SHARD_0]: '3' });
      expect(logs.lines.some((line) => line.level === LEVEL.warn && line.rejected === 1)).toBe(true);
    });

    it('counts refused readings and records naming another device than their partition key', async () => {
      const lakeWriter = writer(lake);
      const forged = telemetry(SHARD_0, '1', 'coffee-pi-2', [1]);
      const good = telemetry(SHARD_0, '2', 'coffee-pi-1', [1, 2]);
      const envelope = JSON.parse(Buffer.from(good.data).toString('utf8')) as { readings: { seq: number }[] };
      (envelope.readings[1] as { seq: number }).seq = 0;
      await lakeWriter.accept([
        // coffee-pi-1's topic (partition key) carrying a record that claims coffee-pi-2.
        { ...forged, partitionKey: 'coffee-pi-1' },
        { ...good, data: encoder.encode(JSON.stringify(envelope)) },
      ]);

      await lakeWriter.flush();

      expect(lakeWriter.counters).toMatchObject({
        recordsWritten: 2,
        rejected: 2,
        rejectedReadings: 1,
        identityMismatches: 1,
      });
      expect(await queryLake(lakeDir, 'SELECT device_id, seq::INTEGER AS seq FROM telemetry')).toEqual([
        { device_id: 'coffee-pi-1', seq: 1 },
      ]);
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: LEVEL.warn,
          rejected: 2,
          rejectedReadings: 1,
          identityMismatches: 1,
        }),
      );
    });

    it('compacts the hour just closed when a write finds the hour has turned', async () => {
      const lakeWriter = writer(lake);
      await lakeWriter.accept([telemetry(SHARD_0, '1', 'coffee-pi-1', [1, 2])]);
      await lakeWriter.flush();
      now = new Date('2026-03-05T10:40:00.000Z');
      await lakeWriter.accept([telemetry(SHARD_0, '2', 'coffee-pi-1', [3, 4])]);
      await lakeWriter.flush();
      expect(await curatedFiles(lakeDir, 'telemetry', '2026-03-05T10')).toHaveLength(2);
      expect(lakeWriter.counters.compactedHours).toBe(0);

      now = new Date('2026-03-05T11:00:05.000Z');
      await lakeWriter.accept([telemetry(SHARD_0, '3', 'coffee-pi-1', [5])]);
      await lakeWriter.flush();

      expect(lakeWriter.counters.compactedHours).toBe(1);
      expect(await curatedFiles(lakeDir, 'telemetry', '2026-03-05T10')).toHaveLength(1);
      expect(
        await queryLake(
          lakeDir,
          `SELECT ingest_hour, count(*)::INTEGER AS n FROM telemetry_all GROUP BY 1 ORDER BY 1`,
        ),
      ).toEqual([
        { ingest_hour: '10', n: 4 },
        { ingest_hour: '11', n: 1 },
      ]);
      expect(await savedCheckpoints()).toEqual({ [SHARD_0]: '3' });
    });

    it('compacts a closed hour on the next tick even when nothing new arrived', async () => {
      const lakeWriter = writer(lake);
      await lakeWriter.accept([telemetry(SHARD_0, '1', 'coffee-pi-1', [1])]);
      await lakeWriter.flush();
      await lakeWriter.accept([telemetry(SHARD_0, '2', 'coffee-pi-1', [2])]);
      await lakeWriter.flush();

      now = new Date('2026-03-05T11:00:01.000Z');
      await lakeWriter.flush();

      expect(lakeWriter.counters.compactedHours).toBe(1);
      expect(await curatedFiles(lakeDir, 'telemetry', '2026-03-05T10')).toHaveLength(1);
      // The same hour is not compacted twice.
      await lakeWriter.flush();
      expect(lakeWriter.counters.compactedHours).toBe(1);
    });

    it('keeps the live hour in a few files per table, each reading once, while a write every 2 s makes one each', async () => {
      const lakeWriter = writer(lake, 10_000, undefined, { fanout: 4, retireAfterMs: 10_000 });
      const hour = '2026-03-05T10';
      let most = 0;
      for (let w = 0; w < 48; w += 1) {
        now = new Date(Date.parse('2026-03-05T10:20:00.000Z') + 2_000 * w);
        await lakeWriter.accept([telemetry(SHARD_0, String(w + 1), 'coffee-pi-1', [2 * w + 1, 2 * w + 2])]);
        await lakeWriter.flush();
        most = Math.max(most, (await curatedFiles(lakeDir, 'telemetry', hour)).length);
      }

      // 48 writes: tier 0 holds ≤ 3, tier 1 ≤ 3, tier 2 ≤ 3, plus the inputs of merges in their 10 s grace.
      expect(most).toBeLessThanOrEqual(16);
      expect(lakeWriter.counters).toMatchObject({ writes: 48, failedCompactions: 0 });
      expect(lakeWriter.counters.merges).toBeGreaterThan(0);
      expect(
        await queryLake(
          lakeDir,
          'SELECT count(*)::INTEGER AS n, count(DISTINCT seq)::INTEGER AS seqs FROM telemetry',
        ),
      ).toEqual([{ n: 96, seqs: 96 }]);
      expect(await savedCheckpoints()).toEqual({ [SHARD_0]: '48' });

      await lakeWriter.stop();
      // Nothing left to retire: at most 3 files in each of tiers 0, 1 and 2.
      const left = await curatedFiles(lakeDir, 'telemetry', hour);
      expect(left.length).toBeLessThanOrEqual(9);
      expect(left.length).toBeLessThan(most);
      expect(await queryLake(lakeDir, 'SELECT count(*)::INTEGER AS n FROM telemetry_all')).toEqual([
        { n: 96 },
      ]);
    });

    it('without compaction writes a file per write (the layout merges replace)', async () => {
      const lakeWriter = writer(lake, 10_000, undefined, false);
      for (let w = 0; w < 6; w += 1) {
        await lakeWriter.accept([telemetry(SHARD_0, String(w + 1), 'coffee-pi-1', [w + 1])]);
        await lakeWriter.flush();
      }
      expect(await curatedFiles(lakeDir, 'telemetry', '2026-03-05T10')).toHaveLength(6);
    });

    it.each<CompactionStep>(['journaled', 'merged', 'published', 'input-removed'])(
      'after a crash at the merge step "%s" and a restart, each reading is in the lake once and the stream resumes after the last write',
      async (step) => {
        let crashed!: () => void;
        const atCrash = new Promise<void>((resolve) => {
          crashed = resolve;
        });
        const lakeWriter = writer(lake, 10_000, undefined, {
          fanout: 4,
          retireAfterMs: 0,
          // The kill: the merge stops at the step and nothing of the old process runs again.
          afterStep: (at) => {
            if (at !== step) return;
            crashed();
            return new Promise<void>(() => {});
          },
        });
        let dead = false;
        void atCrash.then(() => {
          dead = true;
        });
        // The 4th write merges; the 5th retires what it merged (input-removed).
        for (let w = 0; w < 5 && !dead; w += 1) {
          now = new Date(Date.parse('2026-03-05T10:20:00.000Z') + 2_000 * w);
          await lakeWriter.accept([telemetry(SHARD_0, String(w + 1), 'coffee-pi-1', [w + 1])]);
          await Promise.race([lakeWriter.flush(), atCrash]);
        }
        await atCrash;
        const checkpointed = await savedCheckpoints();

        const restarted = await openLocalLake(lakeDir, { now: clock });
        try {
          const next = writer(restarted, 10_000, undefined, { fanout: 4, retireAfterMs: 0 });
          next.start();
          await next.flush();
          await next.stop();
        } finally {
          await restarted.close();
        }

        const written = step === 'input-removed' ? 5 : 4;
        expect(checkpointed).toEqual({ [SHARD_0]: String(written) });
        expect(
          await queryLake(
            lakeDir,
            'SELECT (SELECT count(*) FROM telemetry_all)::INTEGER AS stored, (SELECT count(DISTINCT seq) FROM telemetry)::INTEGER AS seqs',
          ),
        ).toEqual([{ stored: written, seqs: written }]);
        const left = await readdir(
          join(lakeDir, 'curated/telemetry/ingest_year=2026/ingest_month=03/ingest_day=05/ingest_hour=10'),
        );
        expect(left.filter((name) => name.startsWith('.'))).toEqual([]);
      },
    );

    it('deletes merged-away files on a flush tick once their grace is over', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const lakeWriter = writer(lake, 10_000, undefined, { fanout: 4, retireAfterMs: 10_000 }, 1_000);
        lakeWriter.start();
        for (let w = 0; w < 4; w += 1) {
          await lakeWriter.accept([telemetry(SHARD_0, String(w + 1), 'coffee-pi-1', [w + 1])]);
          await lakeWriter.flush();
        }
        expect(lakeWriter.counters).toMatchObject({ merges: 1, filesMerged: 4, filesRetired: 0 });
        expect(await curatedFiles(lakeDir, 'telemetry', '2026-03-05T10')).toHaveLength(5);

        now = new Date(now.getTime() + 9_000);
        await vi.advanceTimersByTimeAsync(1_000);
        await lakeWriter.flush();
        expect(lakeWriter.counters.filesRetired).toBe(0);

        now = new Date(now.getTime() + 1_000);
        await vi.advanceTimersByTimeAsync(1_000);
        await vi.waitFor(() => expect(lakeWriter.counters.filesRetired).toBe(4));
        expect(await curatedFiles(lakeDir, 'telemetry', '2026-03-05T10')).toHaveLength(1);
        await lakeWriter.stop();
      } finally {
        vi.useRealTimers();
      }
    });

    it('writes what is buffered on stop()', async () => {
      const lakeWriter = writer(lake);
      lakeWriter.start();
      await lakeWriter.accept([telemetry(SHARD_1, '7', 'coffee-pi-2', [1, 2])]);

      await lakeWriter.stop();

      expect(await queryLake(lakeDir, 'SELECT count(*)::INTEGER AS n FROM telemetry')).toEqual([{ n: 2 }]);
      expect(await savedCheckpoints()).toEqual({ [SHARD_1]: '7' });
    });
  });

  describe('when the lake fails', () => {
    it('keeps the records of a write that failed and sends them first, in order, on the next write', async () => {
      const failure = new RawArchiveWriteError('raw/ingest_year=2026/x.json.gz', {
        cause: new Error('ENOSPC'),
      });
      const { lake, calls } = scriptedLake(lakeDir, failure);
      const lakeWriter = writer(lake);
      const first = [
        telemetry(SHARD_0, '1', 'coffee-pi-1', [1]),
        telemetry(SHARD_1, '2', 'coffee-pi-2', [1]),
      ];
      await lakeWriter.accept(first);

      await expect(lakeWriter.flush()).rejects.toBe(failure);
      expect(lakeWriter.counters).toMatchObject({ failedWrites: 1, writes: 0, recordsWritten: 0 });
      // Nothing is in the lake, so the stream position must not move.
      await expect(readFile(checkpointPath)).rejects.toMatchObject({ code: 'ENOENT' });

      const later = telemetry(SHARD_0, '3', 'coffee-pi-1', [2]);
      await lakeWriter.accept([later]);
      await lakeWriter.flush();

      const decoder = new TextDecoder();
      expect(calls).toEqual([
        first.map((record) => decoder.decode(record.data)),
        [...first, later].map((record) => decoder.decode(record.data)),
      ]);
      expect(lakeWriter.counters).toMatchObject({ failedWrites: 1, writes: 1, recordsWritten: 3 });
      expect(await savedCheckpoints()).toEqual({ [SHARD_0]: '3', [SHARD_1]: '2' });
      expect(logs.lines.find((line) => line.level === LEVEL.error)).toMatchObject({
        msg: 'lake write failed; retrying',
        records: 2,
      });
    });

    it('checkpoints without resending when only the curated tables failed (the raw archive has the batch)', async () => {
      const failure = new CuratedWriteError('raw/x.json.gz', 'curated/telemetry/x.parquet', {
        cause: new Error('disk full'),
      });
      const { lake, calls } = scriptedLake(lakeDir, failure);
      const lakeWriter = writer(lake);
      await lakeWriter.accept([telemetry(SHARD_0, '9', 'coffee-pi-1', [1])]);

      await lakeWriter.flush();
      await lakeWriter.flush();

      expect(calls).toHaveLength(1);
      expect(lakeWriter.counters).toMatchObject({ failedWrites: 1, writes: 0 });
      expect(await savedCheckpoints()).toEqual({ [SHARD_0]: '9' });
      expect(logs.lines.find((line) => line.level === LEVEL.error)?.msg).toContain('replay');
    });

    it('makes accept() wait for a write once the buffer is full', async () => {
      const { lake, calls } = scriptedLake(lakeDir);
      const lakeWriter = writer(lake, 2);

      await lakeWriter.accept([telemetry(SHARD_0, '1', 'coffee-pi-1', [1])]);
      expect(calls).toHaveLength(0);
      await lakeWriter.accept([telemetry(SHARD_0, '2', 'coffee-pi-1', [2])]);

      expect(calls.map((call) => call.length)).toEqual([2]);
    });

    it('retries a failed write on the flush timer', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const { lake, calls } = scriptedLake(lakeDir, new Error('lake busy'));
        const lakeWriter = new LakeWriter({
          lake,
          checkpoints: new CheckpointFile(checkpointPath),
          logger: logs.logger,
          flushMs: 1_000,
          maxBuffered: 100,
          now: clock,
        });
        lakeWriter.start();
        await lakeWriter.accept([telemetry(SHARD_0, '1', 'coffee-pi-1', [1])]);

        await vi.advanceTimersByTimeAsync(1_000);
        await vi.waitFor(() => expect(calls).toHaveLength(1));
        await vi.advanceTimersByTimeAsync(1_000);
        await vi.waitFor(() => expect(lakeWriter.counters.writes).toBe(1));
        await lakeWriter.stop();

        expect(calls).toHaveLength(2);
        expect(lakeWriter.counters).toMatchObject({ failedWrites: 1, recordsWritten: 1 });
      } finally {
        vi.useRealTimers();
      }
    });
  });
});
