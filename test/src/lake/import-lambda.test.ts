import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CsvImportDeps,
  createS3ImportStore,
  handleCsvImportEvent,
  ImportInterruptedError,
  type ImportReportDocument,
  importKeyDecision,
} from '../../../cloud/src/lake/import/index.js';
import { asS3Notification } from '../../../cloud/src/local/s3-notification.js';
import { silentLogger } from '../../../cloud/src/logging/logger.js';
import { createS3Client } from '../../../cloud/src/photos/s3-photo-store.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';
import {
  BUCKET,
  REGION,
  type RunningS3,
  S3RVER_CREDENTIALS,
  startS3rver,
  waitFor,
} from '../upload/s3-stack.js';
import { HEADER, IMPORT_NOW, importFixturePath, type TelemetryRecord } from './import-fixtures.js';

describe('CSV import Lambda on s3rver', () => {
  let dir: string;
  let s3: RunningS3;
  let client: S3Client;
  /** Notifications s3rver emitted, keys encoded the way S3 sends them. */
  const events: unknown[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csv-import-lambda-'));
    s3 = await startS3rver(dir, 0, { onEvent: (event) => events.push(asS3Notification(event as object)) });
    client = createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
  });
  afterEach(() => {
    events.length = 0;
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function deps(stream: MemoryIngestStream): CsvImportDeps {
    return { store: createS3ImportStore(client), stream, logger: silentLogger(), now: () => IMPORT_NOW };
  }

  /** Uploads like a user would and returns the notification s3rver sends for it. */
  async function upload(key: string, body: string | Buffer): Promise<unknown> {
    const before = events.length;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    await waitFor(`the notification for ${key}`, () => events.length > before);
    return events[before];
  }

  async function readJson<T>(key: string): Promise<T> {
    const output = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return JSON.parse((await output.Body?.transformToString()) ?? '') as T;
  }

  it('imports a CSV uploaded under imports/ into the stream and writes its report beside it', async () => {
    const csv = await readFile(importFixturePath('readings-with-bad-lines.csv'));
    const event = await upload('imports/2026/pi readings.csv', csv);
    const stream = new MemoryIngestStream();

    const summary = await handleCsvImportEvent(event, deps(stream));

    expect(summary).toEqual({
      imports: [
        {
          key: 'imports/2026/pi readings.csv',
          reportKey: 'imports/reports/2026/pi readings.json',
          status: 'imported-with-refusals',
          accepted: 5,
          refused: 6,
        },
      ],
      skipped: [],
    });
    expect(stream.json<TelemetryRecord>().map((r) => [r.deviceId, r.readings.length])).toEqual([
      ['coffee-pi-1', 3],
      ['coffee-pi-2', 2],
    ]);
    const document = await readJson<ImportReportDocument>('imports/reports/2026/pi readings.json');
    expect(document).toMatchObject({
      source: `s3://${BUCKET}/imports/2026/pi readings.csv`,
      status: 'imported-with-refusals',
      startedAt: IMPORT_NOW.toISOString(),
      error: null,
      report: { bytesRead: csv.length, lines: 11, accepted: 5, refused: 6, records: 2 },
    });
    expect(document.report?.refusedLines.map((r) => r.line)).toEqual([3, 4, 5, 6, 11, 12]);
    expect(document.report?.refusedLines[0]).toEqual({
      line: 3,
      reason: 'temperature: "warm" is not a number',
    });

    // Writing the report made a notification too: the handler must not import its own report.
    const reportEvents = events.filter((e) => JSON.stringify(e).includes('imports/reports/'));
    expect(reportEvents).toHaveLength(1);
    const again = await handleCsvImportEvent(reportEvents[0], deps(stream));
    expect(again).toEqual({
      imports: [],
      skipped: [{ key: 'imports/reports/2026/pi readings.json', reason: 'under imports/reports/' }],
    });
  });

  it('skips keys that are not CSVs under imports/, with the reason, and sends nothing', async () => {
    const stream = new MemoryIngestStream();
    const notes = await upload('imports/notes.txt', 'not a csv');
    const elsewhere = await upload('exports/2026-03-14/readings.csv', `${HEADER}\n`);

    const summary = await handleCsvImportEvent(
      {
        Records: [
          ...(notes as { Records: unknown[] }).Records,
          ...(elsewhere as { Records: unknown[] }).Records,
        ],
      },
      deps(stream),
    );

    expect(summary).toEqual({
      imports: [],
      skipped: [
        { key: 'imports/notes.txt', reason: 'not a .csv file' },
        { key: 'exports/2026-03-14/readings.csv', reason: 'not under imports/' },
      ],
    });
    expect(stream.calls).toBe(0);
  });

  it('writes a rejected report for a bad header instead of retrying a file that cannot succeed', async () => {
    const event = await upload(
      'imports/wrong.csv',
      'device,when,temp\ncoffee-pi-1,2026-03-14T08:15:30Z,21\n',
    );
    const stream = new MemoryIngestStream();

    const summary = await handleCsvImportEvent(event, deps(stream));

    expect(summary.imports).toEqual([
      {
        key: 'imports/wrong.csv',
        reportKey: 'imports/reports/wrong.json',
        status: 'rejected',
        accepted: 0,
        refused: 0,
      },
    ]);
    const document = await readJson<ImportReportDocument>('imports/reports/wrong.json');
    expect(document.report).toBeNull();
    expect(document.error?.unknown).toEqual(['device', 'when', 'temp']);
    expect(document.error?.missing).toEqual([
      'device_id',
      'ts',
      'temperature',
      'humidity',
      'pressure',
      'pitch',
      'roll',
      'yaw',
    ]);
    expect(stream.calls).toBe(0);
  });

  it('throws on a stream outage so Lambda retries, and the retry sends the very same records', async () => {
    const event = await upload(
      'imports/retry.csv',
      `${HEADER}\ncoffee-pi-3,2026-03-14T08:15:30.250Z,24.5,41.2,1013.25,1.5,-0.5,182.25\n`,
    );
    const stream = new MemoryIngestStream().failNext(1, 'ProvisionedThroughputExceededException');

    await expect(handleCsvImportEvent(event, deps(stream))).rejects.toBeInstanceOf(ImportInterruptedError);
    expect(stream.records).toHaveLength(0);
    const retried = await handleCsvImportEvent(event, deps(stream));
    expect(retried.imports[0]).toMatchObject({ status: 'imported', accepted: 1 });
    expect(stream.json<TelemetryRecord>()[0]?.deviceId).toBe('coffee-pi-3');
  });

  it('skips an object deleted before the import read it', async () => {
    const event = await upload('imports/gone.csv', `${HEADER}\n`);
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'imports/gone.csv' }));

    const summary = await handleCsvImportEvent(event, deps(new MemoryIngestStream()));

    expect(summary).toEqual({
      imports: [],
      skipped: [{ key: 'imports/gone.csv', reason: 'object no longer exists' }],
    });
  });
});

describe('importKeyDecision', () => {
  it('maps an import to its report key and refuses everything else with a reason', () => {
    expect(importKeyDecision('imports/a/b.CSV')).toEqual({
      import: true,
      reportKey: 'imports/reports/a/b.json',
    });
    expect(importKeyDecision('imports/reports/b.csv')).toEqual({
      import: false,
      reason: 'under imports/reports/',
    });
    expect(importKeyDecision('photos/x.csv')).toEqual({ import: false, reason: 'not under imports/' });
    expect(importKeyDecision('imports/x.csv.gz')).toEqual({ import: false, reason: 'not a .csv file' });
  });
});
