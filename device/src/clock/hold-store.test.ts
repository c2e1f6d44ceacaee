import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClockHoldRecord, FileClockHoldStore, readKernelBootId } from './hold-store.js';

const RECORD: ClockHoldRecord = {
  v: 1,
  kernelBootId: 'b0e5b7b2-6a4e-4b8e-9d55-0b6f4f8c1a2d',
  holdFrom: 12,
  heldSinceMono: 4_000,
  segments: [{ fromSeq: 12, offsetMs: 1_764_000_000_000 }],
  restamps: [{ fromSeq: 3, toSeq: 9, deltaMs: 259_200_000 }],
};

describe('FileClockHoldStore', () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = mkdtempSync(join(tmpdir(), 'clock-hold-'));
    dirs.push(made);
    return made;
  };
  afterEach(() => {
    for (const made of dirs.splice(0)) rmSync(made, { recursive: true, force: true });
  });

  it('saves, loads and forgets the record', () => {
    const path = join(dir(), 'clock-hold.json');
    const store = new FileClockHoldStore(path);
    expect(store.load()).toBeNull();
    store.save(RECORD);
    expect(new FileClockHoldStore(path).load()).toEqual(RECORD);
    store.save(null);
    expect(store.load()).toBeNull();
  });

  it('refuses a file that is not a record instead of guessing', () => {
    const path = join(dir(), 'clock-hold.json');
    writeFileSync(path, '{"v":7}');
    expect(() => new FileClockHoldStore(path).load()).toThrow(/not a clock hold record/);
  });

  it('replaces the file whole: no temporary file is left behind', () => {
    const where = dir();
    const store = new FileClockHoldStore(join(where, 'clock-hold.json'));
    store.save(RECORD);
    store.save({ ...RECORD, holdFrom: 13 });
    expect(JSON.parse(readFileSync(join(where, 'clock-hold.json'), 'utf8')).holdFrom).toBe(13);
    expect(() => readFileSync(join(where, 'clock-hold.json.tmp'))).toThrow(/ENOENT/);
  });
});

describe('readKernelBootId', () => {
  it('reads the boot id, and is null where there is none', () => {
    expect(readKernelBootId(() => 'abc\n')).toBe('abc');
    expect(
      readKernelBootId(() => {
        throw new Error('ENOENT');
      }),
    ).toBeNull();
  });
});
