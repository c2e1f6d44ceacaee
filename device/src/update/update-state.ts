import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The hand-over between the agent and the launcher (coffee-iot-launch.sh), in
 * `{root}/update-state/`: plain `key=value` lines, because the launcher is POSIX sh and must
 * work when the new agent cannot run any JavaScript at all.
 *
 *   pending  written by the agent before it switches `current`; the launcher counts starts
 *            (attempts, started) in it and rolls back when the new agent has not become
 *            healthy in time. Removed when the agent marks the update healthy or on rollback.
 *   result   written on rollback (by the launcher or the agent) and on success; read by the
 *            agent's resumed update job to report the outcome.
 */
export interface PendingUpdate {
  readonly version: string;
  readonly previous: string;
  readonly jobId: string;
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  /** Starts so far, counted by the launcher. */
  readonly attempts: number;
  /** Epoch seconds of the new agent's first start, set by the launcher. */
  readonly startedAt: number | undefined;
}

export interface UpdateResult {
  readonly status: 'rolled-back' | 'healthy';
  readonly version: string;
  readonly previous: string;
  readonly reason: string;
}

function parse(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0 && !values.has(line.slice(0, at))) values.set(line.slice(0, at), line.slice(at + 1));
  }
  return values;
}

function format(values: Record<string, string | number>): string {
  // One line per value: a newline in a reason would end it early for the launcher's sed.
  return Object.entries(values)
    .map(([key, value]) => `${key}=${String(value).replace(/[\r\n]+/g, ' ')}\n`)
    .join('');
}

export class UpdateState {
  readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'update-state');
  }

  get pendingPath(): string {
    return join(this.dir, 'pending');
  }

  get resultPath(): string {
    return join(this.dir, 'result');
  }

  async readPending(): Promise<PendingUpdate | undefined> {
    const values = await this.read(this.pendingPath);
    const version = values?.get('version');
    const previous = values?.get('previous');
    if (!values || !version || !previous) return undefined;
    const started = Number(values.get('started'));
    return {
      version,
      previous,
      jobId: values.get('job') ?? '',
      timeoutSeconds: Number(values.get('timeout')) || 0,
      maxAttempts: Number(values.get('maxAttempts')) || 0,
      attempts: Number(values.get('attempts')) || 0,
      startedAt: Number.isFinite(started) && started > 0 ? started : undefined,
    };
  }

  async writePending(update: Omit<PendingUpdate, 'attempts' | 'startedAt'>): Promise<void> {
    await this.write(
      this.pendingPath,
      format({
        version: update.version,
        previous: update.previous,
        job: update.jobId,
        timeout: update.timeoutSeconds,
        maxAttempts: update.maxAttempts,
        attempts: 0,
      }),
    );
  }

  async clearPending(): Promise<void> {
    await rm(this.pendingPath, { force: true });
  }

  async readResult(): Promise<UpdateResult | undefined> {
    const values = await this.read(this.resultPath);
    const status = values?.get('status');
    if (!values || (status !== 'rolled-back' && status !== 'healthy')) return undefined;
    return {
      status,
      version: values.get('version') ?? '',
      previous: values.get('previous') ?? '',
      reason: values.get('reason') ?? '',
    };
  }

  async writeResult(result: UpdateResult): Promise<void> {
    await this.write(this.resultPath, format({ ...result }));
  }

  async clearResult(): Promise<void> {
    await rm(this.resultPath, { force: true });
  }

  private async read(path: string): Promise<Map<string, string> | undefined> {
    try {
      return parse(await readFile(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Written whole and fsync'd under a temporary name, then renamed: never half a file. */
  private async write(path: string, text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  }
}
