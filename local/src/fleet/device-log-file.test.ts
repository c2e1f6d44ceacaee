import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDeviceLog } from './device-log-file.js';

describe('openDeviceLog', () => {
  let dir: string;
  const written: string[] = [];
  const stdout = { write: (chunk: string | Uint8Array) => written.push(String(chunk)) > 0 };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'device-log-'));
    written.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each line to stdout and to the device’s agent.log', async () => {
    const log = openDeviceLog(dir, 'info', stdout);
    log.logger.info({ thing: 'coffee-pi-1' }, 'hello');
    await log.close();
    expect(written.join('')).toContain('"msg":"hello"');
    expect(await readFile(join(dir, 'agent.log'), 'utf8')).toContain('"msg":"hello"');
  });

  it('survives a log file it cannot write: says so once on stdout and keeps logging there', async () => {
    await mkdir(join(dir, 'agent.log')); // a directory where the file should be: every write fails
    const log = openDeviceLog(dir, 'info', stdout);
    log.logger.info('first');
    await vi.waitFor(() => expect(written.join('')).toContain('device log file not writable'));
    log.logger.info('second');
    await log.close();

    const text = written.join('');
    expect(text.match(/device log file not writable/g)).toHaveLength(1);
    expect(text).toContain('"msg":"first"');
    expect(text).toContain('"msg":"second"');
  });
});
