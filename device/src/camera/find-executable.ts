import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** Resolves a program name to an executable path, or undefined when none is found. */
export type ExecutableLookup = (name: string) => Promise<string | undefined>;

/** Searches `pathVariable` (a PATH value) like a shell would: first executable regular file wins. */
export function pathLookup(pathVariable: string | undefined): ExecutableLookup {
  const dirs = (pathVariable ?? '').split(delimiter).filter((dir) => dir.length > 0 && isAbsolute(dir));
  return async (name) => {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        if (!(await stat(candidate)).isFile()) continue;
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Absent or not executable here: keep looking.
      }
    }
    return undefined;
  };
}
