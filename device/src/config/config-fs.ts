import { accessSync, constants, readFileSync, statSync } from 'node:fs';

/**
 * The file-system calls configuration loading makes, injected so tests can present missing,
 * unreadable and over-permissive files without depending on the uid the tests run as
 * (root can read anything). Methods throw Node errno errors (`code` ENOENT, EACCES, …).
 */
export interface ConfigFs {
  readText(path: string): string;
  stat(path: string): { isFile(): boolean; mode: number };
  /** Throws unless the current user may read the file. */
  checkReadable(path: string): void;
}

export const nodeConfigFs: ConfigFs = {
  readText: (path) => readFileSync(path, 'utf8'),
  stat: (path) => statSync(path),
  checkReadable: (path) => accessSync(path, constants.R_OK),
};

export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
