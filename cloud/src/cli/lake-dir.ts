import { resolve } from 'node:path';
import type { CliIo } from './cli-io.js';
import { nonEmpty } from './lake-command.js';

/** Where the lake commands find the local lake unless told otherwise. */
export const LAKE_DIR_ENV = 'COFFEE_IOT_LAKE_DIR';
/** The local stack's lake, relative to where it runs (beside `.local/coffee-iot.sqlite`). */
export const DEFAULT_LAKE_DIR = '.local/lake';

/**
 * The lake directory a lake command works on: `--lake` (blank is a UsageError), else
 * $COFFEE_IOT_LAKE_DIR when not blank, else DEFAULT_LAKE_DIR; relative paths from io.cwd.
 */
export function resolveLakeDir(lakeFlag: string | undefined, io: Pick<CliIo, 'env' | 'cwd'>): string {
  const fromEnv = io.env[LAKE_DIR_ENV]?.trim() ? io.env[LAKE_DIR_ENV] : undefined;
  const lake = nonEmpty('--lake', lakeFlag) ?? fromEnv ?? DEFAULT_LAKE_DIR;
  return resolve(io.cwd ?? process.cwd(), lake);
}
