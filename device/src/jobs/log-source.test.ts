import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileLogSource,
  JournaldLogSource,
  LogSourceError,
  lastLines,
  selectLogSource,
} from './log-source.js';

describe('log sources', () => {
  let dir: string;
  const signal = new AbortController().signal;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-logs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lastLines keeps the newest whole lines within the byte bound', () => {
    expect(lastLines('a\nbb\nccc\n', 2, 100)).toEqual({ text: 'bb\nccc\n', lines: 2, truncated: false });
    expect(lastLines('a\nbb\nccc\n', 3, 5)).toEqual({ text: 'ccc\n', lines: 1, truncated: true });
    expect(lastLines('', 3, 5)).toEqual({ text: '', lines: 0, truncated: false });
  });

  it('reads the end of a large log file without loading it all, whole lines only', async () => {
    const path = join(dir, 'agent.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    await writeFile(path, `${lines.join('\n')}\n`);
    const source = new FileLogSource(path);
    expect(await source.tail(2, 1000, signal)).toEqual({
      text: 'line 4998\nline 4999\n',
      lines: 2,
      truncated: false,
    });
    const bounded = await source.tail(1000, 25, signal);
    expect(bounded).toEqual({
      text: 'line 4997\nline 4998\nline 4999\n'.slice(10),
      lines: 2,
      truncated: true,
    });
    await expect(new FileLogSource(join(dir, 'missing.log')).tail(1, 10, signal)).rejects.toBeInstanceOf(
      LogSourceError,
    );
  });

  it('asks journalctl for the unit last lines and names the missing group when it cannot read', async () => {
    const fake = join(dir, 'journalctl');
    await writeFile(fake, '#!/bin/sh\necho "$@" >&2\nprintf \'one\\ntwo\\n\'\n');
    await chmod(fake, 0o755);
    const tail = await new JournaldLogSource('coffee-iot-agent', fake).tail(5, 100, signal);
    expect(tail).toEqual({ text: 'one\ntwo\n', lines: 2, truncated: false });

    const denied = join(dir, 'journalctl-denied');
    await writeFile(
      denied,
      '#!/bin/sh\necho "No journal files were opened due to insufficient permissions." >&2\n',
    );
    await chmod(denied, 0o755);
    await expect(new JournaldLogSource('coffee-iot-agent', denied).tail(5, 100, signal)).rejects.toThrow(
      /systemd-journal group/,
    );
  });

  it('uses the journal under systemd, else the configured file, else nothing', () => {
    expect(selectLogSource({ JOURNAL_STREAM: '8:1234' }, '/var/log/a.log')?.name).toBe('journald');
    expect(selectLogSource({}, '/var/log/a.log')?.name).toBe('file:/var/log/a.log');
    expect(selectLogSource({}, undefined)).toBeNull();
  });
});
