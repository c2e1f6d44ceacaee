import type { CoffeeDatabase } from '../db/coffee-database.js';

export interface TextSink {
  write(text: string): unknown;
}

/** What `--db-secret` needs; the CLI always verifies TLS against the RDS CA for Aurora. */
export interface SecretDatabaseRequest {
  secretId: string;
  hostOverride: string | undefined;
  databaseOverride: string | undefined;
}

/** Everything the CLI touches outside itself, so tests can drive it in-process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative database paths are taken from here; default the process's working directory. */
  cwd?: string;
  now?: () => Date;
  /** Opens Aurora through Secrets Manager; default builds a SecretsManagerClient (tests replace it). */
  openDatabaseFromSecret?: (request: SecretDatabaseRequest) => Promise<CoffeeDatabase>;
}

export const EXIT_OK = 0;
/** The command ran and failed: database unreachable, not migrated, migration failed. */
export const EXIT_FAILURE = 1;
/** Bad usage: unknown command or flag, malformed value, bad database URL. */
export const EXIT_USAGE = 2;
