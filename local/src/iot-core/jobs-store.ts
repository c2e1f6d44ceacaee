import { readJsonFile, StateFileError, writeJsonAtomically } from './atomic-json-file.js';
import type { JobsFile } from './jobs-state.js';
import { isPlainObject } from './shadow-state.js';

/** Every job and execution in one file, written atomically after each change. */
export class JobsStore {
  constructor(private readonly path: string) {}

  async load(): Promise<JobsFile> {
    const parsed = await readJsonFile(this.path);
    if (parsed === undefined) return { jobs: [], executions: [], nextSequence: 1 };
    if (
      !isPlainObject(parsed) ||
      !Array.isArray(parsed.jobs) ||
      !Array.isArray(parsed.executions) ||
      !Number.isSafeInteger(parsed.nextSequence)
    ) {
      throw new StateFileError(`${this.path} is not a jobs file; move it away to start without jobs`);
    }
    return parsed as unknown as JobsFile;
  }

  save(file: JobsFile): Promise<void> {
    return writeJsonAtomically(this.path, file);
  }
}
