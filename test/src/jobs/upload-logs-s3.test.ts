import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgentConfig } from '../../../device/src/config/agent-config.js';
import { openJobs } from '../../../device/src/jobs/open-jobs.js';
import { silentLogger } from '../../../device/src/ports/logger.js';
import {
  FakeJobsConnection,
  FakeJobsService,
  ManualTime,
  THING,
} from '../../../device/src/testing/jobs/jobs-harness.js';
import { S3PhotoUploader } from '../../../device/src/upload/s3-photo-uploader.js';
import {
  BUCKET,
  getPhoto,
  REGION,
  type RunningS3,
  S3RVER_CREDENTIALS,
  startS3rver,
} from '../upload/s3-stack.js';

/** upload-logs as the agent builds it (openJobs), with the real S3 adapter against s3rver. */
describe('upload-logs job into S3', { timeout: 30_000 }, () => {
  let dir: string;
  let s3: RunningS3;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-upload-logs-'));
    s3 = await startS3rver(join(dir, 's3'));
  });
  afterAll(async () => {
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts the last lines of the agent log under logs/{thing}/ and reports the key', async () => {
    const logFile = join(dir, 'agent.log');
    await writeFile(logFile, `${Array.from({ length: 50 }, (_, i) => `{"msg":"event ${i}"}`).join('\n')}\n`);
    const uploader = new S3PhotoUploader({
      bucket: BUCKET,
      region: REGION,
      endpoint: s3.endpoint,
      devStaticCredentials: S3RVER_CREDENTIALS,
      logger: silentLogger(),
    });
    const time = new ManualTime(Date.parse('2026-12-07T21:45:00Z'));
    const { service } = openJobs({
      config: { thingName: THING, stateDir: join(dir, 'state') } as AgentConfig,
      bootId: 'boot-1',
      station: () => undefined,
      s3: uploader,
      applier: { apply: async () => ({ applied: {}, refused: {}, pendingRestart: {} }) },
      logFile,
      env: {},
      onRestartRequested: () => {},
      clock: time,
      timers: time,
      logger: silentLogger(),
    });
    const jobs = new FakeJobsService(THING);
    jobs.queue('logs-1', { operation: 'upload-logs', lines: 3 });
    await service.connected(new FakeJobsConnection(jobs).context);

    await vi.waitFor(() => expect(jobs.execution('logs-1').status).toBe('SUCCEEDED'), { timeout: 10_000 });
    const key = 'logs/coffee-pi-3/20261207T214500Z-logs-1.log';
    expect(jobs.execution('logs-1').statusDetails).toMatchObject({
      key,
      lines: '3',
      source: `file:${logFile}`,
    });
    const stored = await getPhoto(s3.endpoint, key);
    expect(stored.body.toString('utf8')).toBe('{"msg":"event 47"}\n{"msg":"event 48"}\n{"msg":"event 49"}\n');
    expect(stored.contentType).toBe('text/plain; charset=utf-8');
    uploader.destroy();
  });
});
