import { describe, expect, it } from 'vitest';
import { fakeJobRun } from '../../testing/jobs/fake-job-run.js';
import { type LogSource, type LogTail, lastLines } from '../log-source.js';
import { type LogUploader, MAX_LOG_BYTES, UploadLogsHandler } from './upload-logs.js';

class FakeLogSource implements LogSource {
  readonly name = 'fake';
  readonly asked: { lines: number; maxBytes: number }[] = [];
  constructor(private readonly text: string) {}
  async tail(lines: number, maxBytes: number): Promise<LogTail> {
    this.asked.push({ lines, maxBytes });
    return lastLines(this.text, lines, maxBytes);
  }
}

class FakeUploader implements LogUploader {
  readonly puts: { key: string; body: string }[] = [];
  failWith: Error | null = null;
  async putLog(key: string, body: Buffer): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.puts.push({ key, body: body.toString('utf8') });
  }
}

const clock = { now: () => Date.parse('2026-12-07T21:30:05Z') };
const log = Array.from({ length: 20 }, (_, i) => `{"msg":"line ${i + 1}"}`).join('\n');

describe('upload-logs', () => {
  it('uploads the last N lines to logs/{thing}/{stamp}-{jobId}.log', async () => {
    const source = new FakeLogSource(log);
    const uploader = new FakeUploader();
    const handler = new UploadLogsHandler({ thingName: 'coffee-pi-3', source, uploader, clock });
    const job = fakeJobRun({ operation: 'upload-logs', lines: 3 }, { jobId: 'logs-7' });
    const outcome = await handler.run(job);

    const key = 'logs/coffee-pi-3/20261207T213005Z-logs-7.log';
    expect(uploader.puts).toEqual([
      { key, body: '{"msg":"line 18"}\n{"msg":"line 19"}\n{"msg":"line 20"}\n' },
    ]);
    expect(source.asked).toEqual([{ lines: 3, maxBytes: MAX_LOG_BYTES }]);
    expect(outcome).toEqual({
      status: 'SUCCEEDED',
      details: { key, source: 'fake', lines: '3', bytes: '54', truncated: 'false' },
    });
    expect(job.checkpoints).toEqual([
      { phase: 'uploading', key },
      { phase: 'uploaded', key },
    ]);
  });

  it('keeps the upload within the byte bound, newest lines first', async () => {
    const uploader = new FakeUploader();
    const handler = new UploadLogsHandler({
      thingName: 'coffee-pi-3',
      source: new FakeLogSource(log),
      uploader,
      clock,
      maxBytes: 40,
    });
    const outcome = await handler.run(fakeJobRun({ operation: 'upload-logs' }));
    expect(uploader.puts[0]?.body).toBe('{"msg":"line 19"}\n{"msg":"line 20"}\n');
    expect(outcome.details).toMatchObject({ lines: '2', truncated: 'true' });
  });

  it('resumed mid-upload, writes the same key again instead of a second object', async () => {
    const uploader = new FakeUploader();
    const handler = new UploadLogsHandler({
      thingName: 'coffee-pi-3',
      source: new FakeLogSource(log),
      uploader,
      clock,
    });
    const key = 'logs/coffee-pi-3/20261207T100000Z-job-1.log';
    await handler.run(fakeJobRun({ operation: 'upload-logs' }, { checkpoint: { phase: 'uploading', key } }));
    expect(uploader.puts.map((p) => p.key)).toEqual([key]);
  });

  it('an upload error fails the job through the handler (the service reports the reason)', async () => {
    const uploader = new FakeUploader();
    uploader.failWith = new Error('AccessDenied on logs/coffee-pi-3/');
    const handler = new UploadLogsHandler({
      thingName: 'coffee-pi-3',
      source: new FakeLogSource(log),
      uploader,
      clock,
    });
    await expect(handler.run(fakeJobRun({ operation: 'upload-logs' }))).rejects.toThrow(/AccessDenied/);
  });

  it('rejects bad line counts and a device with no log or no bucket', () => {
    const ok = new UploadLogsHandler({
      thingName: 'coffee-pi-3',
      source: new FakeLogSource(''),
      uploader: new FakeUploader(),
      clock,
    });
    expect(ok.validate({ operation: 'upload-logs', lines: 0 })).toMatch(/1-10000/);
    expect(ok.validate({ operation: 'upload-logs', lines: 'all' })).toMatch(/1-10000/);
    expect(ok.validate({ operation: 'upload-logs', lines: 100 })).toBeNull();
    const noLog = new UploadLogsHandler({
      thingName: 'coffee-pi-3',
      source: null,
      uploader: new FakeUploader(),
      clock,
    });
    expect(noLog.validate({ operation: 'upload-logs' })).toMatch(/no log to read/);
    const noBucket = new UploadLogsHandler({
      thingName: 'coffee-pi-3',
      source: new FakeLogSource(''),
      uploader: null,
      clock,
    });
    expect(noBucket.validate({ operation: 'upload-logs' })).toMatch(/upload.bucket/);
  });
});
