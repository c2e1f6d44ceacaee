export { MemoryPhotoOutbox } from './memory-outbox.js';
export * from './outbox-errors.js';
export { OUTBOX_DIR, outboxDir } from './outbox-files.js';
export { oldestFirst, selectDrops } from './outbox-order.js';
export * from './outbox-port.js';
export { FilePhotoOutbox, type FilePhotoOutboxOptions } from './photo-outbox.js';
