import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { RestampRange } from './restamp.js';

/** Readings from seq `fromSeq` on were stamped by a wall clock `offsetMs` ahead of the monotonic one. */
export interface ClockSegment {
  fromSeq: number;
  offsetMs: number;
}

/**
 * What must survive a restart of the agent before the clock syncs (or before the restamped
 * readings are all published): monotonic time is only meaningful within one boot of the kernel,
 * so the record names that boot.
 */
export interface ClockHoldRecord {
  v: 1;
  kernelBootId: string | null;
  /** First seq held back from publishing, null when nothing is held. */
  holdFrom: number | null;
  /** Monotonic ms when the hold began: the wait bound counts from it across restarts. */
  heldSinceMono: number | null;
  segments: ClockSegment[];
  restamps: RestampRange[];
}

export interface ClockHoldStore {
  load(): ClockHoldRecord | null;
  /** null: nothing to remember. */
  save(record: ClockHoldRecord | null): void;
}

export class MemoryClockHoldStore implements ClockHoldStore {
  record: ClockHoldRecord | null = null;
  load(): ClockHoldRecord | null {
    return this.record === null ? null : structuredClone(this.record);
  }
  save(record: ClockHoldRecord | null): void {
    this.record = record === null ? null : structuredClone(record);
  }
}

/** A small JSON file next to the spool, replaced atomically (write, then rename). */
export class FileClockHoldStore implements ClockHoldStore {
  constructor(private readonly path: string) {}

  load(): ClockHoldRecord | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const record = JSON.parse(text) as ClockHoldRecord;
    if (record?.v !== 1) throw new Error(`${this.path} is not a clock hold record (v 1)`);
    return record;
  }

  save(record: ClockHoldRecord | null): void {
    if (record === null) {
      rmSync(this.path, { force: true });
      return;
    }
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(record)}\n`, { mode: 0o640 });
    renameSync(temporary, this.path);
  }
}

/** The kernel's id for this boot (Linux); null elsewhere, and then nothing held survives a restart. */
export function readKernelBootId(
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): string | null {
  try {
    return read('/proc/sys/kernel/random/boot_id').trim() || null;
  } catch {
    return null;
  }
}
