import type { ImportProgress } from './import-report.js';

/** Where progress goes: stderr. `isTTY` decides between a redrawn bar and plain lines. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressViewOptions {
  /** Milliseconds, from the CLI's injected clock. */
  clock: () => number;
  /** Redraw the bar at most this often on a terminal. Default 100 ms. */
  redrawMs?: number;
  /** A plain line this often when stderr is a file or pipe (CI logs). Default 5 s. */
  plainEveryMs?: number;
  /** Bar width in characters. Default 24. */
  barWidth?: number;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const megabytes = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/**
 * The import's progress on stderr: on a terminal one bar redrawn in place (percent of bytes,
 * lines/s, refused so far), elsewhere a plain line every few seconds, so logs stay readable.
 * Driven by importCsv's progress callbacks and the injected clock; it starts no timer of its own.
 */
export class ImportProgressView {
  private readonly tty: boolean;
  private readonly started: number;
  private lastShown = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly options: ProgressViewOptions,
  ) {
    this.tty = out.isTTY === true;
    this.started = options.clock();
    if (!this.tty) this.lastShown = this.started;
  }

  update(progress: ImportProgress): void {
    const now = this.options.clock();
    const every = this.tty ? (this.options.redrawMs ?? 100) : (this.options.plainEveryMs ?? 5_000);
    if (now - this.lastShown < every) return;
    this.lastShown = now;
    this.show(progress, now);
  }

  /** The last state; on a terminal it also ends the bar's line so the report starts on its own. */
  finish(progress: ImportProgress): void {
    if (!this.tty) return;
    this.show(progress, this.options.clock());
    this.out.write('\n');
  }

  /** Ends a bar cut short (an error follows). */
  abort(): void {
    if (this.tty && this.drawn) this.out.write('\n');
  }

  private show(progress: ImportProgress, now: number): void {
    const parts: string[] = [];
    const fraction = progress.totalBytes ? Math.min(1, progress.bytesRead / progress.totalBytes) : undefined;
    if (fraction !== undefined) parts.push(`${String(Math.floor(fraction * 100)).padStart(3)}%`);
    parts.push(`${number.format(progress.lines)} lines`);
    const seconds = (now - this.started) / 1000;
    if (seconds > 0) parts.push(`${number.format(progress.lines / seconds)} lines/s`);
    parts.push(`${number.format(progress.refused)} refused`);
    if (this.tty) {
      const width = this.options.barWidth ?? 24;
      const bar =
        fraction === undefined ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '-')}] `;
      // \r and erase-line redraw in place.
      this.out.write(`\r\x1b[2Kimporting ${bar}${parts.join('  ')}`);
      this.drawn = true;
      return;
    }
    const of =
      progress.totalBytes === undefined
        ? `${megabytes.format(progress.bytesRead / 1e6)} MB read`
        : `${megabytes.format(progress.bytesRead / 1e6)} of ${megabytes.format(progress.totalBytes / 1e6)} MB`;
    this.out.write(`import: ${parts.join(', ')} (${of})\n`);
  }
}
