import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.js';
import { SqliteSpool } from './sqlite-spool.js';

const here = dirname(fileURLToPath(import.meta.url));
const deviceDir = join(here, '..', '..');
const writer = join(here, 'fixtures', 'crash-writer.mjs');
const NO_LIMITS = { maxReadings: 0, maxBytes: 0, maxAgeSeconds: 0 };

/** The child runs device/dist; rebuild it when it is older than the sources it runs. */
function ensureFreshBuild(): void {
  const pairs = [
    'spool/sqlite-spool',
    'spool/sqlite-schema',
    'spool/spool-errors',
    'ports/logger',
    'ports/clock',
  ];
  const stale = () =>
    pairs.some((name) => {
      const js = join(deviceDir, 'dist', `${name}.js`);
      return !existsSync(js) || statSync(js).mtimeMs < statSync(join(deviceDir, 'src', `${name}.ts`)).mtimeMs;
    });
  if (!stale()) return;
  try {
    execFileSync(join(deviceDir, '..', 'node_modules', '.bin', 'tsc'), ['-b', deviceDir], { stdio: 'pipe' });
  } catch (error) {
    // tsc -b still emits when some other file has a type error; what matters is our output.
    if (stale())
      throw new Error(`device/dist is stale and tsc -b failed: ${String(error)}`, { cause: error });
  }
}

interface Run {
  reported: number[];
}

/** Starts the writer, lets it append for a random while once it is ready, then SIGKILLs it. */
function appendUntilKilled(path: string, runMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, path, randomUUID()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!killer && out.startsWith('ready\n')) killer = setTimeout(() => child.kill('SIGKILL'), runMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(killer);
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited by itself (${signal}): ${err}`));
      // Only complete lines count: the kill may land in the middle of a write.
      const lines = out.split('\n').slice(1, -1);
      resolve({ reported: lines.map(Number) });
    });
  });
}

describe('SqliteSpool under SIGKILL', () => {
  let dir: string;

  beforeAll(() => {
    ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'coffee-iot-crash-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every reported reading, contiguous and uncorrupted, across repeated kills', async () => {
    const path = join(dir, 'spool.sqlite');
    const reported: number[] = [];
    for (let round = 0; round < 6; round++) {
      const run = await appendUntilKilled(path, 50 + Math.floor(Math.random() * 250));
      reported.push(...run.reported);

      const db = new Database(path);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      const spool = new SqliteSpool({ path, limits: NO_LIMITS, logger: silentLogger() });
      const seqs = spool.readAfter(0, Number.MAX_SAFE_INTEGER).map((row) => row.seq);
      const stats = spool.stats();
      spool.close();
      expect(seqs.length).toBeGreaterThan(0);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      expect(stats.lastSeq).toBe(seqs.length);
      const present = new Set(seqs);
      expect(reported.filter((seq) => !present.has(seq))).toEqual([]);
      expect(new Set(reported).size).toBe(reported.length);
    }
    expect(reported.length).toBeGreaterThan(100);
    console.info(`crash: 6 SIGKILLs, ${reported.length} reported appends all present`);
  }, 60_000);
});
