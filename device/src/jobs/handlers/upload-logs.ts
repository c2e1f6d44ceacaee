import { type JobDocument, logUploadKey } from '@coffee-iot/shared';
import type { Clock } from '../../ports/clock.js';
import type { JobHandler, JobOutcome, JobRun } from '../job-handler.js';
import type { LogSource } from '../log-source.js';

/** Puts one log text into S3 (device/src/upload's S3 adapter, through the credential provider). */
export interface LogUploader {
  putLog(key: string, body: Buffer, signal: AbortSignal): Promise<void>;
}

export const DEFAULT_LOG_LINES = 500;
export const MAX_LOG_LINES = 10_000;
/** An upload is at most this big: the newest lines are kept. */
export const MAX_LOG_BYTES = 1024 * 1024;

export interface UploadLogsOptions {
  thingName: string;
  /** null: no log can be read here (not under systemd, no log file configured). */
  source: LogSource | null;
  /** null: no bucket configured. */
  uploader: LogUploader | null;
  clock: Clock;
  maxBytes?: number;
}

/**
 * `upload-logs`: `{"operation":"upload-logs","lines":500}` puts the agent's last lines to
 * `logs/{thing}/{stamp}-{jobId}.log`. The key is checkpointed before the upload, so a resumed job
 * overwrites the same object instead of leaving a second one.
 */
export class UploadLogsHandler implements JobHandler {
  readonly operation = 'upload-logs';

  constructor(private readonly options: UploadLogsOptions) {}

  validate(document: JobDocument): string | null {
    const { lines } = document;
    if (
      lines !== undefined &&
      !(Number.isInteger(lines) && (lines as number) >= 1 && (lines as number) <= MAX_LOG_LINES)
    ) {
      return `upload-logs: "lines" must be a whole number 1-${MAX_LOG_LINES} (got ${JSON.stringify(lines)})`;
    }
    if (!this.options.source) {
      return 'upload-logs: no log to read here (the agent is not under systemd and no log file is configured)';
    }
    if (!this.options.uploader)
      return 'upload-logs: no S3 bucket is configured on this device (upload.bucket)';
    return null;
  }

  async run(job: JobRun): Promise<JobOutcome> {
    const { source, uploader, thingName, clock } = this.options;
    if (!source || !uploader) throw new Error('upload-logs is not configured'); // validate() refused it
    if (job.checkpoint?.phase === 'uploaded' && job.checkpoint.key) {
      return { status: 'SUCCEEDED', details: { key: job.checkpoint.key } };
    }
    const lines = typeof job.document.lines === 'number' ? job.document.lines : DEFAULT_LOG_LINES;
    const key = job.checkpoint?.key ?? logUploadKey(thingName, new Date(clock.now()), job.jobId);
    await job.saveCheckpoint({ phase: 'uploading', key });
    const tail = await source.tail(lines, this.options.maxBytes ?? MAX_LOG_BYTES, job.signal);
    const body = Buffer.from(tail.text, 'utf8');
    await uploader.putLog(key, body, job.signal);
    await job.saveCheckpoint({ phase: 'uploaded', key });
    return {
      status: 'SUCCEEDED',
      details: {
        key,
        source: source.name,
        lines: String(tail.lines),
        bytes: String(body.length),
        truncated: String(tail.truncated),
      },
    };
  }
}
