import type { CreateCertificateFromCsrAccepted } from '@coffee-iot/shared';
import type { TimerHandle, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { createCertificateFromCsr } from '../provisioning/provisioning-api.js';
import type { ConnectionContext, ConnectionService } from '../remote/connection-service.js';
import type { RotationFiles, RotationState } from './rotation-files.js';
import { type CertificateReport, certificateReportTopic } from './rotation-report.js';

export type FinishedRotation = RotationState & { readonly phase: 'done' };

export interface CertificateRotationOptions {
  files: RotationFiles;
  thingName: string;
  topicPrefix: string;
  /** Ends the current connection so the next connect reads the files now in place. */
  reconnect: (reason: string) => Promise<void>;
  timers: Timers;
  logger: Logger;
  /** How long the new certificate has to connect before the previous one is put back. */
  connectDeadlineMs: number;
  /** How long CreateCertificateFromCsr may take to answer. */
  requestTimeoutMs: number;
}

export class RotationError extends Error {
  override readonly name = 'RotationError';
}

/**
 * Certificate rotation on the device side, as a service on the MQTT connection: it asks for a
 * certificate on the current connection, switches the files, forces a reconnect and decides the
 * outcome: the new certificate connected (reported with it, so the cloud deactivates the old one
 * only then) or it did not within the deadline (the previous files are put back).
 *
 * The `rotate-cert` job drives it (rotate-cert-handler.ts); `recover()` runs at start-up, before
 * the first connect, and finishes whatever a crash interrupted.
 */
export class CertificateRotation implements ConnectionService {
  readonly name = 'certificate-rotation';
  private connection: ConnectionContext | null = null;
  private state: RotationState | null = null;
  private deadline: TimerHandle | undefined;
  /** Serialises the deadline, a new connection and the job, which all change `state`. */
  private queue: Promise<void> = Promise.resolve();
  private readonly finishedListeners = new Set<(state: FinishedRotation) => void>();
  private stopped = false;

  constructor(private readonly options: CertificateRotationOptions) {}

  get files(): RotationFiles {
    return this.options.files;
  }

  get reportTopic(): string {
    return certificateReportTopic(this.options.topicPrefix, this.options.thingName);
  }

  /** Before the first connect: the pair in place matches; a switch awaiting its connection gets a fresh deadline. */
  async recover(): Promise<RotationState | null> {
    this.state = await this.options.files.recover();
    if (this.state?.phase === 'switched') {
      this.options.logger.warn(
        { certificateId: this.state.certificateId },
        'a certificate switch was waiting for its first connection at the last stop; waiting again',
      );
      this.armDeadline();
    }
    return this.state;
  }

  async connected(connection: ConnectionContext): Promise<void> {
    this.connection = connection;
    await this.serialised(async () => {
      if (this.state?.phase !== 'switched') return;
      const { certificateId, previousCertificateId } = this.state;
      // The files in place were read for this connection: the new certificate works.
      this.clearDeadline();
      const report: CertificateReport = { phase: 'connected', certificateId, previousCertificateId };
      try {
        await connection.publish(this.reportTopic, report);
      } catch (error) {
        // Dropped before PUBACK: the next connection (same files) reports again.
        this.options.logger.warn(
          { err: error, certificateId },
          'certificate connected report not delivered; retrying on the next connection',
        );
        return;
      }
      this.finish(await this.options.files.confirm());
      this.options.logger.info(
        { certificateId, previousCertificateId },
        'connected with the new certificate',
      );
    });
  }

  disconnected(): void {
    this.connection = null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearDeadline();
    await this.queue;
  }

  /** The state as last recorded (null: no rotation ever ran here). */
  async currentState(): Promise<RotationState | null> {
    await this.queue;
    return this.state;
  }

  /** CreateCertificateFromCsr on the current connection. */
  async requestCertificate(csrPem: string, signal: AbortSignal): Promise<CreateCertificateFromCsrAccepted> {
    const connection = this.requireConnection();
    return createCertificateFromCsr(connection, csrPem, {
      timers: this.options.timers,
      timeoutMs: this.options.requestTimeoutMs,
      signal: AbortSignal.any([signal, connection.signal]),
    });
  }

  /** Publishes a report on the current connection (resolves on PUBACK). */
  async report(report: CertificateReport): Promise<void> {
    await this.requireConnection().publish(this.reportTopic, report);
  }

  /** Puts next/ in place, arms the deadline and ends the connection so the next one uses it. */
  async switchAndReconnect(): Promise<RotationState> {
    await this.serialised(async () => {
      this.state = await this.options.files.switchToNext();
      this.armDeadline();
    });
    const state = this.state as RotationState;
    this.options.logger.info(
      { certificateId: state.certificateId },
      'certificate switched; reconnecting with it',
    );
    await this.options.reconnect('certificate rotated: reconnecting with the new certificate');
    return state;
  }

  /** Resolves when the switch in progress has an outcome (at once if it has one already). */
  waitForOutcome(signal: AbortSignal): Promise<FinishedRotation> {
    return new Promise((resolve, reject) => {
      const done = (state: FinishedRotation) => {
        this.finishedListeners.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve(state);
      };
      const onAbort = () => {
        this.finishedListeners.delete(done);
        reject(signal.reason);
      };
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.finishedListeners.add(done);
      void this.queue.then(() => {
        if (this.state?.phase === 'done') done(this.state as FinishedRotation);
        else if (this.state?.phase !== 'switched') {
          this.finishedListeners.delete(done);
          signal.removeEventListener('abort', onAbort);
          reject(
            new RotationError(`no certificate switch in progress (state ${this.state?.phase ?? 'none'})`),
          );
        }
      });
    });
  }

  private requireConnection(): ConnectionContext {
    if (!this.connection || this.connection.signal.aborted) {
      throw new RotationError('not connected: a certificate is requested on the live connection');
    }
    return this.connection;
  }

  private armDeadline(): void {
    this.clearDeadline();
    if (this.stopped) return;
    const { connectDeadlineMs } = this.options;
    this.deadline = this.options.timers.setTimeout(() => {
      this.deadline = undefined;
      void this.serialised(() => this.restore(connectDeadlineMs));
    }, connectDeadlineMs);
  }

  private async restore(connectDeadlineMs: number): Promise<void> {
    if (this.state?.phase !== 'switched') return;
    const reason = `the new certificate ${this.state.certificateId} did not connect within ${connectDeadlineMs} ms; the previous one is back in place`;
    this.options.logger.error({ certificateId: this.state.certificateId }, reason);
    // The supervisor keeps retrying with backoff; its next attempt reads the restored files.
    this.finish(await this.options.files.restorePrevious(reason));
  }

  private finish(state: RotationState): void {
    this.state = state;
    if (state.phase !== 'done') return;
    for (const listener of [...this.finishedListeners]) listener(state as FinishedRotation);
  }

  private clearDeadline(): void {
    if (this.deadline) this.options.timers.clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private serialised(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work);
    this.queue = run.catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'certificate rotation step failed');
    });
    return run;
  }
}
