import { readFile } from 'node:fs/promises';
import type { JobDocument } from '@coffee-iot/shared';
import type { JobHandler, JobOutcome, JobRun } from '../jobs/job-handler.js';
import { type Clock, delay, systemClock, systemTimers, type Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { BundleVerificationError, parseUpdatePublicKey, verifyBundle } from './bundle-verification.js';
import { type BundleFetcher, fetchBundle } from './fetch-bundle.js';
import { DEFAULT_INSTALL_ROOT, type HostPlatform, ReleaseStore } from './release-store.js';
import {
  readUpdateDocument,
  UPDATE_AGENT_OPERATION,
  type UpdateAgentDocument,
  updateDocumentProblems,
} from './update-document.js';
import { UpdateState } from './update-state.js';

/** How the running agent shows it is healthy: connected, and the broker acknowledged a publish. */
export interface AgentHealthProbe {
  /** True once a PUBACK arrived since this agent started. */
  hasPublished(): boolean;
}

export interface UpdateAgentHandlerOptions {
  /** agent.json's updatePublicKeyPath; unset = updates are refused (FAILED, naming the key). */
  publicKeyPath: string | undefined;
  /** The version this process runs (readAgentVersion()). */
  runningVersion: string;
  health: AgentHealthProbe;
  logger: Logger;
  /** Where releases/, current, previous and update-state/ live; default /opt/coffee-iot. */
  installRoot?: string;
  clock?: Clock;
  timers?: Timers;
  fetch?: BundleFetcher;
  platform?: HostPlatform;
  /** How often the health check looks at the probe; default 1 s. */
  healthPollMs?: number;
}

const POLL_MS = 1000;

type Checkpoint = Readonly<Record<string, string>>;

function failed(reason: string, extra: Record<string, string> = {}): JobOutcome {
  return { status: 'FAILED', details: { reason, ...extra } };
}

/**
 * `update-agent`: fetch the bundle, verify its SHA-256 and ECDSA P-256 signature, unpack it beside
 * the running release, switch `current` and restart (RESTARTING). The job resumes in the new agent,
 * which must be connected and publishing within healthTimeoutSeconds: then SUCCEEDED. Otherwise
 * the previous release comes back (here, or by the launcher when the new agent cannot even start)
 * and the resumed job, in the old agent, reports FAILED with the reason.
 */
export class UpdateAgentHandler implements JobHandler {
  readonly operation = UPDATE_AGENT_OPERATION;
  private readonly store: ReleaseStore;
  private readonly state: UpdateState;
  private readonly clock: Clock;
  private readonly timers: Timers;

  constructor(private readonly options: UpdateAgentHandlerOptions) {
    const root = options.installRoot ?? DEFAULT_INSTALL_ROOT;
    this.store = new ReleaseStore(root, options.platform);
    this.state = new UpdateState(root);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
  }

  validate(document: JobDocument): string | null {
    const problems = updateDocumentProblems(document);
    return problems.length === 0 ? null : problems.join('; ');
  }

  run(job: JobRun): Promise<JobOutcome> {
    const document = readUpdateDocument(job.document);
    return job.checkpoint?.version === undefined
      ? this.install(job, document)
      : this.resume(job, job.checkpoint);
  }

  /** First run: everything up to the restart into the new release. */
  private async install(job: JobRun, document: UpdateAgentDocument): Promise<JobOutcome> {
    const { version } = document;
    const { runningVersion, logger } = this.options;
    if (version === runningVersion) return failed(`${version} is already the running version`);
    const previous = await this.store.linkedVersion('current');
    if (previous === undefined) {
      return failed(
        `${this.store.root}/current is missing: this agent was not installed side by side; reinstall it with install-pi.sh --from`,
      );
    }
    if (this.options.publicKeyPath === undefined) {
      return failed(
        'key check failed: updatePublicKeyPath is not set in agent.json, so no bundle can be trusted',
      );
    }

    await job.progress({ step: 'downloading', version });
    let bytes: Uint8Array;
    try {
      bytes = await (this.options.fetch ?? fetchBundle)(document.url, job.signal);
    } catch (error) {
      return failed((error as Error).message);
    }
    try {
      const pem = await readFile(this.options.publicKeyPath, 'utf8').catch((error: unknown) => {
        throw new BundleVerificationError(
          'key',
          `updatePublicKeyPath ${this.options.publicKeyPath} cannot be read (${(error as Error).message})`,
        );
      });
      const key = parseUpdatePublicKey(pem, `updatePublicKeyPath ${this.options.publicKeyPath}`);
      verifyBundle(bytes, document, key);
    } catch (error) {
      if (!(error instanceof BundleVerificationError)) throw error;
      logger.warn({ jobId: job.jobId, version, check: error.check }, `update refused: ${error.message}`);
      const reason = error.check === 'key' ? `key check failed: ${error.message}` : error.message;
      return failed(reason, { check: error.check });
    }
    if (job.signal.aborted) return failed('stopped before installing');

    await job.progress({ step: 'installing', version });
    const pruned = await this.store.prune();
    if (pruned.length > 0) logger.info({ removed: pruned }, 'update: removed releases no link points at');
    try {
      await this.store.install(bytes, version);
    } catch (error) {
      return failed(`not installed: ${(error as Error).message}`);
    }

    // Recorded before the switch: a crash from here on resumes into the checks below.
    await job.saveCheckpoint({ version, previous, timeout: String(document.healthTimeoutSeconds) });
    await this.state.clearResult();
    await this.state.writePending({
      version,
      previous,
      jobId: job.jobId,
      timeoutSeconds: document.healthTimeoutSeconds,
      maxAttempts: document.startAttempts,
    });
    try {
      await this.store.switchTo(version);
    } catch (error) {
      // Nothing switched (or only `previous`): the launcher must not treat the old agent as new.
      await this.state.clearPending();
      return failed(`not switched to ${version}: ${(error as Error).message}; still running ${previous}`);
    }
    logger.info({ jobId: job.jobId, version, previous }, 'update: switched to the new release; restarting');
    return { status: 'RESTARTING', details: { step: 'restarting', version, previous } };
  }

  /** After a restart: in the new agent, the health check; in the old one, the outcome. */
  private async resume(job: JobRun, checkpoint: Checkpoint): Promise<JobOutcome> {
    const version = checkpoint.version ?? '';
    const previous = checkpoint.previous ?? '';
    const running = this.options.runningVersion;
    if (running === version)
      return this.checkHealth(job, version, previous, Number(checkpoint.timeout) || 60);
    if (running === previous) {
      const result = await this.state.readResult();
      if (result?.status === 'rolled-back' && result.version === version) {
        await this.state.clearResult();
        return failed(result.reason, { version: previous, rolledBackFrom: version });
      }
      // Interrupted between the checkpoint and the restart (power cut): undo and say so.
      await this.state.clearPending();
      if ((await this.store.linkedVersion('current')) !== previous)
        await this.store.point('current', previous);
      return failed(
        `the update to ${version} was interrupted before the new agent ran; still running ${previous}`,
        { version: previous },
      );
    }
    return failed(`running ${running}, neither the new ${version} nor the previous ${previous}`);
  }

  private async checkHealth(
    job: JobRun,
    version: string,
    previous: string,
    timeout: number,
  ): Promise<JobOutcome> {
    const pending = await this.state.readPending();
    if (pending === undefined || pending.version !== version) {
      const result = await this.state.readResult();
      if (result?.status === 'rolled-back' && result.version === version) {
        // Rolled back, but this process is still the new agent: the restart is yet to come.
        return { status: 'RESTARTING', details: { step: 'rolling-back', version, previous } };
      }
      // Marked healthy before an interruption: the update stands.
      return { status: 'SUCCEEDED', details: { version, previous } };
    }
    await job.progress({ step: 'health-check', version });
    const startedMs = (pending.startedAt ?? Math.floor(this.clock.now() / 1000)) * 1000;
    const deadlineMs = startedMs + (pending.timeoutSeconds || timeout) * 1000;
    const poll = this.options.healthPollMs ?? POLL_MS;
    while (!this.options.health.hasPublished()) {
      const left = deadlineMs - this.clock.now();
      if (left <= 0) return this.rollBack(job, version, previous, pending.timeoutSeconds || timeout);
      try {
        await delay(this.timers, Math.min(poll, left), job.signal);
      } catch {
        // The agent is stopping: the job resumes after the restart, the launcher keeps the deadline.
        return { status: 'RESTARTING', details: { step: 'health-check', version } };
      }
    }
    await this.state.writeResult({ status: 'healthy', version, previous, reason: '' });
    await this.state.clearPending();
    this.options.logger.info({ jobId: job.jobId, version }, 'update: new agent connected and publishing');
    return { status: 'SUCCEEDED', details: { version, previous } };
  }

  /** The new agent runs but is not healthy in time: back to the previous release, then restart. */
  private async rollBack(
    job: JobRun,
    version: string,
    previous: string,
    timeout: number,
  ): Promise<JobOutcome> {
    const reason = `new agent ${version} did not connect and publish within ${timeout} s; rolled back to ${previous}`;
    this.options.logger.warn({ jobId: job.jobId, version, previous }, reason);
    await this.state.writeResult({ status: 'rolled-back', version, previous, reason });
    await this.store.point('current', previous);
    await this.state.clearPending();
    return { status: 'RESTARTING', details: { step: 'rolling-back', version, previous } };
  }
}

export function createUpdateAgentHandler(options: UpdateAgentHandlerOptions): JobHandler {
  return new UpdateAgentHandler(options);
}
