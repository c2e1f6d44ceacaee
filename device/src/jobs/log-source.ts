import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

/** The agent's recent log lines, wherever they are kept. */
export interface LogSource {
  /** For statusDetails and logs: `journald` or `file:/path`. */
  readonly name: string;
  /** The last `lines` lines, newest last, cut to the newest `maxBytes` bytes. */
  tail(lines: number, maxBytes: number, signal: AbortSignal): Promise<LogTail>;
}

export interface LogTail {
  text: string;
  lines: number;
  /** Older lines were left out to stay within maxBytes. */
  truncated: boolean;
}

/** The log could not be read; `hint` says what to change. */
export class LogSourceError extends Error {
  override readonly name = 'LogSourceError';
}

/** Keeps the newest `lines` complete lines of `text` within `maxBytes`. */
export function lastLines(text: string, lines: number, maxBytes: number): LogTail {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  let kept = all.slice(-lines);
  let truncated = false;
  let bytes = kept.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  while (bytes > maxBytes && kept.length > 0) {
    bytes -= Buffer.byteLength(kept[0] as string) + 1;
    kept = kept.slice(1);
    truncated = true;
  }
  return { text: kept.length > 0 ? `${kept.join('\n')}\n` : '', lines: kept.length, truncated };
}

/**
 * `journalctl -u coffee-iot-agent`: under systemd the agent logs to the journal. The service
 * user needs the `systemd-journal` group to read it.
 */
export class JournaldLogSource implements LogSource {
  readonly name = 'journald';

  constructor(
    private readonly unit = 'coffee-iot-agent',
    private readonly command = 'journalctl',
  ) {}

  tail(lines: number, maxBytes: number, signal: AbortSignal): Promise<LogTail> {
    return new Promise<LogTail>((resolve, reject) => {
      const child = spawn(
        this.command,
        ['--unit', this.unit, '--lines', String(lines), '--no-pager', '--output', 'cat', '--quiet'],
        { stdio: ['ignore', 'pipe', 'pipe'], signal },
      );
      // Only the newest maxBytes are kept while reading: a huge answer never fills memory.
      let out = Buffer.alloc(0);
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out = Buffer.concat([out, chunk]);
        if (out.length > 2 * maxBytes) out = out.subarray(out.length - maxBytes - 1);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < 4096) stderr += chunk;
      });
      child.on('error', (error) =>
        reject(new LogSourceError(`could not run ${this.command}: ${error.message}`, { cause: error })),
      );
      child.on('close', (code) => {
        if (code !== 0 || (out.length === 0 && /permission|insufficient/i.test(stderr))) {
          reject(
            new LogSourceError(
              `${this.command} --unit ${this.unit} failed (exit ${code}): ${stderr.trim() || 'no output'}; ` +
                'the service user needs the systemd-journal group to read its journal',
            ),
          );
          return;
        }
        resolve(lastLines(out.toString('utf8'), lines, maxBytes));
      });
    });
  }
}

/** A log file the agent's output is written to (when not under systemd). */
export class FileLogSource implements LogSource {
  readonly name: string;

  constructor(private readonly path: string) {
    this.name = `file:${path}`;
  }

  async tail(lines: number, maxBytes: number, signal: AbortSignal): Promise<LogTail> {
    signal.throwIfAborted();
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      throw new LogSourceError(`cannot read the log file ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      const { size } = await handle.stat();
      // One extra byte tells whether the first line read is whole.
      const length = Math.min(size, maxBytes + 1);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      let text = buffer.toString('utf8');
      const cutInto = length < size;
      if (cutInto) text = text.slice(text.indexOf('\n') + 1); // a partial first line is dropped
      const tail = lastLines(text, lines, maxBytes);
      return { ...tail, truncated: tail.truncated || (cutInto && tail.lines < lines) };
    } finally {
      await handle.close();
    }
  }
}

/** Journald when the agent runs under systemd with its output in the journal, else the file if any. */
export function selectLogSource(env: NodeJS.ProcessEnv, logFile: string | undefined): LogSource | null {
  // systemd sets JOURNAL_STREAM when stdout/stderr are connected to the journal.
  if (env.JOURNAL_STREAM) return new JournaldLogSource();
  if (logFile) return new FileLogSource(logFile);
  return null;
}
