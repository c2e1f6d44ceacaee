import { copyFile, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { WriteFailures } from '../spool/write-failures.js';
import { fsyncDir, fsyncFile, TEMP_SUFFIX, writeFileDurably } from './durable-fs.js';
import { OutboxOpenError, OutboxPhotoMissingError, OutboxWriteError } from './outbox-errors.js';
import {
  COUNTERS_FILE,
  formatCounters,
  formatMetadata,
  metadataFile,
  type OutboxCounters,
  outboxDir,
  parseCounters,
  photoFile,
  SENT_DIR,
} from './outbox-files.js';
import { checkLimits, oldestFirst, selectDrops, unuploadableReason } from './outbox-order.js';
import type { AddPhoto, OutboxLimits, OutboxPhoto, OutboxStats, PhotoOutbox } from './outbox-port.js';
import { recoverOutbox } from './outbox-recovery.js';

export interface FilePhotoOutboxOptions {
  /** The agent's state directory; photos wait in `{stateDir}/outbox/`. */
  stateDir: string;
  limits: OutboxLimits;
  /** Move uploaded photos to `outbox/sent/` instead of deleting them (not counted in the caps). */
  keepUploaded: boolean;
  /** This device's thing name: the deviceId of photos adopted without metadata after a crash. */
  deviceId: string;
  logger: Logger;
  /** For the duration of a write-failure episode in the log. */
  clock?: Clock;
}

/**
 * The durable photo outbox: one JPEG and one metadata JSON per photo in `{stateDir}/outbox/`.
 * `add` commits the JPEG first (fsync, rename, fsync dir) and the metadata second (temp file,
 * fsync, rename, fsync dir), so a crash at any point leaves either nothing, a photo without
 * metadata (adopted at the next start) or both. `remove` deletes in the reverse order, so a
 * crash there at worst uploads a photo twice (same key: S3 keeps one object).
 * The queue is indexed in memory; every change is serialised, so callers may overlap.
 */
export class FilePhotoOutbox implements PhotoOutbox {
  readonly dir: string;
  private readonly limits: OutboxLimits;
  private readonly entries = new Map<string, OutboxPhoto>();
  private counters: OutboxCounters = { dropped: 0, recovered: 0, quarantined: 0 };
  private queue: Promise<unknown> = Promise.resolve();
  private started = false;
  /** Writes of photos or their metadata that the storage refused, per cause, since start. */
  private readonly writeFailures: WriteFailures;

  constructor(private readonly options: FilePhotoOutboxOptions) {
    this.dir = outboxDir(options.stateDir);
    this.limits = checkLimits(options.limits);
    this.writeFailures = new WriteFailures({
      what: 'photos',
      path: this.dir,
      logger: options.logger,
      clock: options.clock ?? systemClock,
    });
  }

  /** Creates the directory, reloads the counters, recovers from a crash and applies the caps. */
  async start(): Promise<void> {
    if (this.started) return;
    const { logger } = this.options;
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o750 });
      this.counters = await this.loadCounters();
      const recovery = await recoverOutbox(this.dir, this.options.deviceId, logger);
      this.entries.clear();
      for (const photo of recovery.photos) this.entries.set(photo.eventId, photo);
      this.counters.dropped += recovery.dropped;
      this.counters.recovered += recovery.recovered;
      this.counters.quarantined += recovery.quarantined;
      if (recovery.dropped + recovery.recovered + recovery.quarantined > 0) await this.saveCounters();
    } catch (cause) {
      throw new OutboxOpenError(`cannot open the photo outbox ${this.dir}: ${(cause as Error).message}`, {
        cause,
      });
    }
    this.started = true;
    await this.serialised(() => this.dropOverLimits());
    logger.info({ dir: this.dir, ...this.stats() }, 'photo outbox opened');
  }

  /** Waits for writes in progress; the files stay for the next start. */
  async stop(): Promise<void> {
    this.started = false;
    await this.queue.catch(() => undefined);
  }

  add(photo: AddPhoto): Promise<OutboxPhoto> {
    return this.serialised(() => this.addNow(photo));
  }

  list(): OutboxPhoto[] {
    return [...this.entries.values()].sort(oldestFirst);
  }

  async read(eventId: string): Promise<Buffer> {
    if (!this.entries.has(eventId)) {
      throw new OutboxPhotoMissingError(
        eventId,
        `photo ${eventId} is not in the outbox (uploaded or dropped)`,
      );
    }
    try {
      return await readFile(join(this.dir, photoFile(eventId)));
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause;
      // Listed but gone from disk (deleted by hand, or dropped meanwhile): count it, never spin on it.
      await this.serialised(async () => {
        if (!this.entries.delete(eventId)) return;
        await ignoreMissing(unlink(join(this.dir, metadataFile(eventId))));
        this.counters.dropped += 1;
        await this.saveCounters();
        this.options.logger.error({ eventId }, 'outbox: photo file vanished; counted as dropped');
      });
      throw new OutboxPhotoMissingError(eventId, `photo ${eventId} vanished from ${this.dir}`, { cause });
    }
  }

  remove(eventId: string): Promise<void> {
    return this.serialised(async () => {
      if (!this.entries.has(eventId)) return;
      if (this.options.keepUploaded) {
        const sent = join(this.dir, SENT_DIR);
        await mkdir(sent, { recursive: true });
        // Metadata first, as in a delete: a crash in between leaves an orphan photo (re-uploaded).
        await ignoreMissing(rename(join(this.dir, metadataFile(eventId)), join(sent, metadataFile(eventId))));
        await ignoreMissing(rename(join(this.dir, photoFile(eventId)), join(sent, photoFile(eventId))));
        await fsyncDir(sent);
      } else {
        await ignoreMissing(unlink(join(this.dir, metadataFile(eventId))));
        await ignoreMissing(unlink(join(this.dir, photoFile(eventId))));
      }
      await fsyncDir(this.dir);
      this.entries.delete(eventId);
    });
  }

  stats(): OutboxStats {
    let bytes = 0;
    let oldest: number | null = null;
    for (const photo of this.entries.values()) {
      bytes += photo.bytes;
      if (oldest === null || photo.capturedAtMs < oldest) oldest = photo.capturedAtMs;
    }
    return {
      depth: this.entries.size,
      bytes,
      oldestCapturedAtMs: oldest,
      ...this.counters,
      unstored: this.writeFailures.counts(),
    };
  }

  private async addNow(input: AddPhoto): Promise<OutboxPhoto> {
    if (!this.started) throw new OutboxWriteError('the photo outbox is not started');
    const { eventId } = input;
    const invalid = unuploadableReason(input);
    if (invalid) throw new OutboxWriteError(`photo ${eventId} cannot be uploaded: ${invalid}`);
    if (this.entries.has(eventId)) throw new OutboxWriteError(`photo ${eventId} is already in the outbox`);
    const target = join(this.dir, photoFile(eventId));
    let bytes: number;
    try {
      bytes = (await stat(input.sourcePath)).size;
    } catch (cause) {
      throw new OutboxWriteError(
        `photo ${eventId}: cannot read ${input.sourcePath}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (bytes === 0)
      throw new OutboxWriteError(`photo ${eventId} cannot be stored: ${input.sourcePath} is empty`);
    try {
      await fsyncFile(input.sourcePath);
      await this.moveIn(input.sourcePath, target);
      await fsyncDir(this.dir);
    } catch (cause) {
      this.writeFailures.failed(cause, { count: 1, ids: [eventId] });
      throw new OutboxWriteError(`photo ${eventId} could not be stored: ${(cause as Error).message}`, {
        cause,
      });
    }
    const photo: OutboxPhoto = {
      eventId,
      deviceId: input.deviceId,
      capturedAtMs: input.capturedAtMs,
      bytes,
    };
    try {
      await writeFileDurably(join(this.dir, metadataFile(eventId)), formatMetadata(photo));
    } catch (cause) {
      this.writeFailures.failed(cause, { count: 1, ids: [eventId] });
      // The JPEG is committed: the next start adopts it, so it is not lost.
      throw new OutboxWriteError(
        `photo ${eventId} stored but its metadata could not be written (${(cause as Error).message}); it is adopted at the next start`,
        { cause },
      );
    }
    this.entries.set(eventId, photo);
    this.writeFailures.succeeded();
    this.options.logger.debug({ eventId, bytes }, 'photo queued for upload');
    await this.dropOverLimits();
    return photo;
  }

  /** rename() within a filesystem; across filesystems a durable copy, then the source is unlinked. */
  private async moveIn(source: string, target: string): Promise<void> {
    try {
      await rename(source, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      const temp = `${target}${TEMP_SUFFIX}`;
      await copyFile(source, temp);
      await fsyncFile(temp);
      await rename(temp, target);
      await unlink(source);
    }
  }

  /** See selectDrops for the policy: the oldest photos go first; every drop is counted and logged. */
  private async dropOverLimits(): Promise<void> {
    const drops = selectDrops(this.list(), this.limits);
    if (drops.length === 0) return;
    for (const photo of drops) {
      await ignoreMissing(unlink(join(this.dir, metadataFile(photo.eventId))));
      await ignoreMissing(unlink(join(this.dir, photoFile(photo.eventId))));
      this.entries.delete(photo.eventId);
    }
    await fsyncDir(this.dir);
    this.counters.dropped += drops.length;
    await this.saveCounters();
    this.options.logger.warn(
      {
        count: drops.length,
        eventIds: drops.map((photo) => photo.eventId),
        bytes: drops.reduce((sum, photo) => sum + photo.bytes, 0),
        limits: this.limits,
        droppedTotal: this.counters.dropped,
      },
      'outbox full: dropped the oldest photos without uploading them',
    );
  }

  private async loadCounters(): Promise<OutboxCounters> {
    const path = join(this.dir, COUNTERS_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { dropped: 0, recovered: 0, quarantined: 0 };
      throw error;
    }
    const counters = parseCounters(text);
    if (counters) return counters;
    this.options.logger.error({ path }, 'outbox counters unreadable; counting from zero again');
    return { dropped: 0, recovered: 0, quarantined: 0 };
  }

  private saveCounters(): Promise<void> {
    return writeFileDurably(join(this.dir, COUNTERS_FILE), formatCounters(this.counters));
  }

  /** Runs outbox changes one at a time, in call order, whatever their callers do. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A file already gone is what we wanted; any other error (EIO, EACCES) is real. */
async function ignoreMissing(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
