import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../../../device/src/ports/logger.js';
import { startLocalStack } from '../../../local/src/stack/local-stack.js';
import { DEFAULT_STACK_OPTIONS, type LocalStackOptions } from '../../../local/src/stack/stack-options.js';
import { runCli } from '../cli/run-cli.js';

/** Stack options for tests: every port picked by the kernel, no countdown, short lake batches. */
export function testStackOptions(
  dataDir: string,
  overrides: Partial<LocalStackOptions> = {},
): LocalStackOptions {
  return {
    ...DEFAULT_STACK_OPTIONS,
    dataDir,
    brokerPort: 0,
    s3Port: 0,
    kinesisPort: 0,
    dashboardPort: 0,
    controlPort: 0,
    countdownSeconds: 0,
    lakeFlushMs: 500,
    logLevel: 'warn',
    ...overrides,
  };
}

export async function tempDataDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'coffee-iot-stack-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function startTestStack(options: LocalStackOptions) {
  return startLocalStack(options, () => undefined, createLogger('warn'));
}

/** Polls `probe` until it returns a value other than undefined; fails naming `what` after the timeout. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await delay(200);
  }
}

/** `coffee-iot query SQL --format json` against the stack's lake and registry, parsed. */
export async function queryLake<Row>(lakeDir: string, databaseUrl: string, sql: string): Promise<Row[]> {
  const run = await runCli(['query', sql, '--lake', lakeDir, '--database', databaseUrl, '--format', 'json'], {
    now: () => new Date(),
  });
  if (run.code !== 0) throw new Error(`coffee-iot query exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Row[];
}
