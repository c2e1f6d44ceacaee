import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, StateFileError, writeJsonAtomically } from './atomic-json-file.js';
import { isPlainObject, type StoredShadow } from './shadow-state.js';

/**
 * Shadow documents on disk, one file per thing and shadow (`{directory}/{thing}/{shadow}.json`),
 * each written atomically, and kept in memory once read. Thing and shadow names are limited to
 * letters, digits, `:`, `_` and `-` by the topic pattern, so they are safe as file names.
 */
export class ShadowStore {
  private readonly cache = new Map<string, StoredShadow | null>();

  constructor(private readonly directory: string) {}

  async load(thing: string, shadow: string): Promise<StoredShadow | undefined> {
    const key = `${thing}/${shadow}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const path = this.path(thing, shadow);
    const parsed = await readJsonFile(path);
    if (parsed === undefined) {
      this.cache.set(key, null);
      return undefined;
    }
    if (!isStoredShadow(parsed)) {
      throw new StateFileError(`${path} is not a shadow document; move it away to start this shadow afresh`);
    }
    this.cache.set(key, parsed);
    return parsed;
  }

  async save(thing: string, shadow: string, document: StoredShadow): Promise<void> {
    await writeJsonAtomically(this.path(thing, shadow), document);
    this.cache.set(`${thing}/${shadow}`, document);
  }

  async remove(thing: string, shadow: string): Promise<void> {
    await rm(this.path(thing, shadow), { force: true });
    this.cache.set(`${thing}/${shadow}`, null);
  }

  private path(thing: string, shadow: string): string {
    return join(this.directory, thing, `${shadow}.json`);
  }
}

function isStoredShadow(value: unknown): value is StoredShadow {
  return (
    isPlainObject(value) &&
    isPlainObject(value.state) &&
    isPlainObject(value.metadata) &&
    Number.isSafeInteger(value.version) &&
    typeof value.timestamp === 'number'
  );
}
