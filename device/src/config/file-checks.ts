import { type ConfigFs, errnoCode } from './config-fs.js';

export const PEM_KEYS = ['cert', 'key', 'rootCa'] as const;
export type PemKey = (typeof PEM_KEYS)[number];

export interface FileCheckResult {
  problems: string[];
  warnings: string[];
}

function suffix(origin: string | undefined): string {
  return origin ? ` (from ${origin})` : '';
}

/**
 * The certificate, key and CA must be there and readable before the agent starts, or the
 * first TLS handshake fails 10-30 s later with a far less helpful message. A private key
 * that group or others can read works, but leaks the device identity: warn.
 */
export function checkPemFiles(
  paths: Partial<Record<PemKey, unknown>>,
  fs: ConfigFs,
  originOf: (path: string) => string | undefined,
): FileCheckResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const name of PEM_KEYS) {
    const path = paths[name];
    // Type and emptiness problems are the schema's to report.
    if (typeof path !== 'string' || path === '') continue;
    const from = suffix(originOf(name));
    let mode: number;
    try {
      const stat = fs.stat(path);
      if (!stat.isFile()) {
        problems.push(`${name}: ${path} is not a regular file${from}`);
        continue;
      }
      mode = stat.mode;
    } catch (error) {
      const code = errnoCode(error);
      problems.push(
        code === 'ENOENT'
          ? `${name}: file not found: ${path}${from}`
          : `${name}: cannot inspect ${path} (${code ?? String(error)})${from}`,
      );
      continue;
    }
    try {
      fs.checkReadable(path);
    } catch (error) {
      problems.push(
        `${name}: ${path} is not readable by this user (${errnoCode(error) ?? String(error)})${from}`,
      );
      continue;
    }
    if (name === 'key' && (mode & 0o077) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      warnings.push(
        `key: ${path} is accessible by group or others (mode ${octal}); restrict it to the agent's user: chmod 600 ${path}`,
      );
    }
  }
  return { problems, warnings };
}
