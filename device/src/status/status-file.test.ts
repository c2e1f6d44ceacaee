import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentStatus,
  readStatusFile,
  StatusFileError,
  statusFilePath,
  writeStatusFile,
} from './status-file.js';

const sampleStatus: AgentStatus = {
  pid: 4242,
  updatedAt: '2026-03-01T10:00:00.000Z',
  connection: 'connected',
  transport: 'aws-crt',
  endpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
  spoolDepth: 3,
  oldestUnsentAt: '2026-03-01T09:59:57.000Z',
  droppedReadings: 0,
  sensorErrors: 1,
  lastPubackAt: '2026-03-01T09:59:59.500Z',
  agentVersion: '0.1.0',
  startedAt: '2026-03-01T07:00:00.000Z',
};

describe('status file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-status-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what was written', async () => {
    await writeStatusFile(dir, sampleStatus);
    expect(await readStatusFile(dir)).toEqual(sampleStatus);
  });

  it('replaces the file whole and leaves no temporary file behind', async () => {
    await writeStatusFile(dir, sampleStatus);
    await writeStatusFile(dir, { ...sampleStatus, spoolDepth: 0, oldestUnsentAt: null });
    expect(await readdir(dir)).toEqual(['status.json']);
    expect((await readStatusFile(dir))?.spoolDepth).toBe(0);
  });

  it('is readable by everyone, so an admin account can run status', async () => {
    await writeStatusFile(dir, sampleStatus);
    expect((await stat(statusFilePath(dir))).mode & 0o777).toBe(0o644);
  });

  it('returns null when the agent never wrote one', async () => {
    expect(await readStatusFile(dir)).toBeNull();
  });

  it('rejects a file that is not JSON', async () => {
    await writeFile(statusFilePath(dir), '{"pid": 1,');
    await expect(readStatusFile(dir)).rejects.toThrow(StatusFileError);
  });

  it('rejects a file of the wrong shape, naming the field', async () => {
    await writeFile(statusFilePath(dir), JSON.stringify({ ...sampleStatus, spoolDepth: 'many' }));
    await expect(readStatusFile(dir)).rejects.toThrow(/\/spoolDepth must be integer/);
  });

  it('accepts fields a newer agent may add', async () => {
    await writeFile(statusFilePath(dir), JSON.stringify({ ...sampleStatus, cameraState: 'idle' }));
    expect((await readStatusFile(dir))?.pid).toBe(4242);
  });

  it('fails with StatusFileError when the directory does not exist', async () => {
    await expect(writeStatusFile(join(dir, 'missing'), sampleStatus)).rejects.toThrow(StatusFileError);
  });

  it('writes pretty JSON ending in a newline, padded to whole 4 KiB blocks', async () => {
    await writeStatusFile(dir, sampleStatus);
    const text = await readFile(statusFilePath(dir), 'utf8');
    expect(text).toMatch(/^\{\n {2}"pid": 4242,[\s\S]*\} *\n$/);
    expect(text.length % 4096).toBe(0);
  });

  it('rewrites the file in place when a new file cannot be written (full disk), so status stays current', async () => {
    await writeStatusFile(dir, sampleStatus);
    // The temp file cannot be created: what a full disk does to the atomic write.
    await mkdir(`${statusFilePath(dir)}.${process.pid}.tmp`);
    const later = { ...sampleStatus, updatedAt: '2026-03-01T10:00:05.000Z', spoolDepth: 9 };
    await writeStatusFile(dir, later);
    expect(await readStatusFile(dir)).toEqual(later);
    expect((await stat(statusFilePath(dir))).size).toBe(4096);
  });

  it('leaves room in the file for what a disk-full episode adds, wherever the last status ended', async () => {
    // The status just before the disk fills, a few bytes short of a whole block: the failure
    // then adds storageFailure and the counts, and must still fit in the blocks already owned.
    const filler = (length: number): AgentStatus => ({ ...sampleStatus, endpoint: 'e'.repeat(length) });
    const base = JSON.stringify(sampleStatus, null, 2).length + 1;
    for (const pad of [4096 - base - 10, 4096 - base - 1, 4096 - base]) {
      await writeStatusFile(dir, filler(sampleStatus.endpoint.length + pad));
      await mkdir(`${statusFilePath(dir)}.${process.pid}.tmp`, { recursive: true });
      const failing: AgentStatus = {
        ...filler(sampleStatus.endpoint.length + pad),
        unstoredReadings: { ENOSPC: 123_456, EIO: 0, EROFS: 0, other: 0 },
        storageFailure: {
          cause: 'ENOSPC',
          path: '/var/lib/coffee-iot/spool.sqlite',
          since: '2026-03-01T10:00:00.000Z',
        },
        droppedReadings: 9_999_999,
      };
      await writeStatusFile(dir, failing);
      expect(await readStatusFile(dir)).toEqual(failing);
      await rm(`${statusFilePath(dir)}.${process.pid}.tmp`, { recursive: true });
    }
  });

  it('still fails when there is no file to rewrite in place', async () => {
    await mkdir(`${statusFilePath(dir)}.${process.pid}.tmp`);
    await expect(writeStatusFile(dir, sampleStatus)).rejects.toThrow(StatusFileError);
  });
});
