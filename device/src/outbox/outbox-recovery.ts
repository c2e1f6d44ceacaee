import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../ports/logger.js';
import { fsyncDir, TEMP_SUFFIX, writeFileDurably } from './durable-fs.js';
import {
  COUNTERS_FILE,
  formatMetadata,
  METADATA_FILE,
  metadataFile,
  PHOTO_FILE,
  parseMetadata,
  photoFile,
  QUARANTINE_DIR,
  SENT_DIR,
} from './outbox-files.js';
import { unuploadableReason } from './outbox-order.js';
import type { OutboxPhoto } from './outbox-port.js';

export interface RecoveryResult {
  photos: OutboxPhoto[];
  /** Photos that will never be uploaded: photo file gone, or empty and quarantined. */
  dropped: number;
  /** Photos without metadata adopted back into the queue. */
  recovered: number;
  /** Files moved to quarantine/. */
  quarantined: number;
}

/**
 * Brings the outbox directory back to a consistent state after a crash or power cut.
 * Stated policy — nothing is deleted without a log line, and no usable photo is thrown away:
 * - `*.tmp`: an unfinished write. Deleted (warn). The photo it belonged to is either still
 *   the camera's (add() had not returned) or already committed under its final name.
 * - a photo without metadata (crash between the two commits, or unreadable metadata): adopted.
 *   Metadata is rebuilt from the file name (eventId), the file's mtime (capture time; the camera
 *   wrote it moments before) and this device's id; logged (warn) and counted as `recovered`.
 * - unreadable metadata: moved to quarantine/ (warn) and its photo adopted as above.
 * - an empty photo, or one whose S3 key cannot be built: moved to quarantine/ with its metadata
 *   (error), counted as dropped and quarantined.
 * - metadata whose photo is gone (deleted by hand, lost by the filesystem): metadata deleted
 *   (error), counted as dropped.
 * - anything else: left alone (warn).
 */
export async function recoverOutbox(dir: string, deviceId: string, logger: Logger): Promise<RecoveryResult> {
  const result: RecoveryResult = { photos: [], dropped: 0, recovered: 0, quarantined: 0 };
  const photos = new Set<string>();
  const metadata = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (entry.isDirectory() && (name === SENT_DIR || name === QUARANTINE_DIR)) continue;
    if (entry.isFile() && name.endsWith(TEMP_SUFFIX)) {
      await unlink(join(dir, name));
      logger.warn({ file: name }, 'outbox: deleted an unfinished write left by a crash');
      continue;
    }
    const photoMatch = entry.isFile() ? PHOTO_FILE.exec(name) : null;
    const metadataMatch = entry.isFile() ? METADATA_FILE.exec(name) : null;
    if (photoMatch?.[1]) photos.add(photoMatch[1]);
    else if (metadataMatch?.[1]) metadata.add(metadataMatch[1]);
    else if (name !== COUNTERS_FILE) logger.warn({ file: name }, 'outbox: unknown file left alone');
  }

  const quarantine = async (eventId: string, files: string[], reason: string) => {
    await moveToQuarantine(dir, files);
    result.quarantined += files.length;
    logger.error({ eventId, files, reason }, `outbox: moved to ${QUARANTINE_DIR}/, will not be uploaded`);
  };

  for (const eventId of metadata) {
    if (!photos.has(eventId)) {
      await unlink(join(dir, metadataFile(eventId)));
      result.dropped += 1;
      logger.error(
        { eventId },
        'outbox: photo file missing; its metadata was deleted and the photo counted as dropped',
      );
      continue;
    }
    const parsed = parseMetadata(await readFile(join(dir, metadataFile(eventId)), 'utf8'), eventId);
    if (typeof parsed === 'string') {
      // The photo itself is fine: keep it and rebuild its metadata below.
      await moveToQuarantine(dir, [metadataFile(eventId)]);
      result.quarantined += 1;
      logger.warn({ eventId, reason: parsed }, `outbox: unreadable metadata moved to ${QUARANTINE_DIR}/`);
      continue;
    }
    const { size } = await stat(join(dir, photoFile(eventId)));
    const reason = size === 0 ? 'empty photo file' : unuploadableReason(parsed);
    if (reason) {
      await quarantine(eventId, [photoFile(eventId), metadataFile(eventId)], reason);
      result.dropped += 1;
    } else {
      result.photos.push({ ...parsed, bytes: size });
    }
    photos.delete(eventId);
  }

  for (const eventId of photos) {
    const { size, mtimeMs } = await stat(join(dir, photoFile(eventId)));
    const photo: OutboxPhoto = { eventId, deviceId, capturedAtMs: Math.round(mtimeMs), bytes: size };
    const reason = size === 0 ? 'empty photo file' : unuploadableReason(photo);
    if (reason) {
      await quarantine(eventId, [photoFile(eventId)], reason);
      result.dropped += 1;
      continue;
    }
    await writeFileDurably(join(dir, metadataFile(eventId)), formatMetadata(photo));
    result.photos.push(photo);
    result.recovered += 1;
    logger.warn(
      { eventId, capturedAt: new Date(photo.capturedAtMs).toISOString() },
      'outbox: photo without metadata adopted (capture time taken from the file)',
    );
  }
  return result;
}

async function moveToQuarantine(dir: string, files: readonly string[]): Promise<void> {
  const target = join(dir, QUARANTINE_DIR);
  await mkdir(target, { recursive: true });
  for (const file of files) {
    // Never overwrite an earlier quarantined file of the same name.
    const exists = await stat(join(target, file)).then(
      () => true,
      () => false,
    );
    await rename(join(dir, file), join(target, exists ? `${file}.${Date.now()}` : file));
  }
  await fsyncDir(dir);
}
