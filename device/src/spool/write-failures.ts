import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import {
  type CauseCounts,
  formatCauseCounts,
  noCauseCounts,
  type StorageCause,
  storageCause,
  totalOf,
} from './storage-cause.js';

/** The episode in progress: storage has refused every write since `sinceMs`. */
export interface StorageFailure {
  cause: StorageCause;
  /** The file or directory the writes go to. */
  path: string;
  sinceMs: number;
}

/** One write that could not be stored: how many items, and which seqs (readings) or ids (events). */
export interface UnstoredItems {
  count: number;
  /** First and last seq lost, inclusive. */
  seqs?: { from: number; to: number };
  ids?: readonly string[];
}

interface Episode extends StorageFailure {
  counts: CauseCounts;
  ranges: { from: number; to: number }[];
  ids: string[];
}

/** Ids named in the end-of-episode line; a longer list is counted, not printed. */
const MAX_IDS_LOGGED = 20;

/**
 * Counts writes that could not be stored, per cause, and logs them once per episode: one line
 * when the first write fails (with the path and the error), one when the cause changes, and one
 * when a write succeeds again with the total and the seq ranges lost. A full disk at 1 Hz is
 * then two lines in the journal, not one a second, and nothing is lost without a line.
 */
export class WriteFailures {
  private readonly totals = noCauseCounts();
  private episode: Episode | null = null;

  constructor(
    private readonly options: {
      /** Plural noun for log lines: "readings", "coffee events", "photos". */
      what: string;
      path: string;
      logger: Logger;
      clock: Clock;
    },
  ) {}

  /** Counts the items and returns the cause; logs only when an episode starts or changes cause. */
  failed(error: unknown, items: UnstoredItems): StorageCause {
    const cause = storageCause(error);
    const { what, path, logger, clock } = this.options;
    this.totals[cause] += items.count;
    let episode = this.episode;
    if (!episode) {
      episode = { cause, path, sinceMs: clock.now(), counts: noCauseCounts(), ranges: [], ids: [] };
      this.episode = episode;
      logger.error(
        { err: error, cause, path, ...firstItem(items) },
        `${what} cannot be stored (${cause}); counting them until a write succeeds again`,
      );
    } else if (episode.cause !== cause) {
      logger.error(
        { err: error, cause, previousCause: episode.cause, path },
        `${what} still cannot be stored, now with ${cause}`,
      );
      episode.cause = cause;
    }
    episode.counts[cause] += items.count;
    if (items.seqs) addRange(episode.ranges, items.seqs);
    // Only the first ids are ever logged: a long episode must not grow memory.
    if (items.ids) episode.ids.push(...items.ids.slice(0, Math.max(0, MAX_IDS_LOGGED - episode.ids.length)));
    return cause;
  }

  /** A write went through: the episode, if any, ends with one summary line. */
  succeeded(): void {
    const episode = this.episode;
    if (!episode) return;
    this.episode = null;
    const count = totalOf(episode.counts);
    const seqText =
      episode.ranges.length > 0
        ? ` (seq ${episode.ranges.map(({ from, to }) => (from === to ? `${from}` : `${from}…${to}`)).join(', ')})`
        : '';
    const causes = Object.entries(episode.counts).filter(([, n]) => n > 0);
    const causeText = causes.length === 1 ? (causes[0]?.[0] ?? '') : formatCauseCounts(episode.counts);
    this.options.logger.warn(
      {
        path: episode.path,
        count,
        causes: episode.counts,
        ...(episode.ranges.length > 0 ? { lostSeqs: episode.ranges } : {}),
        ...(episode.ids.length > 0 ? { ids: episode.ids } : {}),
        durationMs: this.options.clock.now() - episode.sinceMs,
      },
      `${count} ${this.options.what}${seqText} could not be stored: ${causeText}; storing again`,
    );
  }

  /** Items that could not be stored since this object was made, per cause. */
  counts(): CauseCounts {
    return { ...this.totals };
  }

  current(): StorageFailure | null {
    if (!this.episode) return null;
    const { cause, path, sinceMs } = this.episode;
    return { cause, path, sinceMs };
  }
}

function firstItem(items: UnstoredItems): Record<string, unknown> {
  if (items.seqs) return { seq: items.seqs.from };
  if (items.ids?.[0]) return { id: items.ids[0] };
  return {};
}

function addRange(ranges: { from: number; to: number }[], next: { from: number; to: number }): void {
  const last = ranges.at(-1);
  if (last && next.from === last.to + 1) last.to = next.to;
  else ranges.push({ ...next });
}
