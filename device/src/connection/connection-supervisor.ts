import type { Clock, TimerHandle, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MqttTransport } from '../transport/transport-port.js';
import { type BackoffPolicy, ExponentialBackoff } from './backoff.js';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface ConnectionSupervisorOptions {
  transport: MqttTransport;
  backoff: BackoffPolicy;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  random?: () => number;
  /** Called after every successful connect. */
  onConnected?: (transport: MqttTransport) => void;
  /** Called when an established connection is lost. */
  onDisconnected?: (error: Error) => void;
}

/**
 * Keeps one MQTT connection up: connects, and after a failure or a lost connection retries
 * with jittered exponential backoff that resets once a connection has been stable for
 * `stableAfterMs`. The transports never reconnect on their own, so this is the single
 * reconnect policy for both of them.
 */
export class ConnectionSupervisor {
  private connectionState: ConnectionState = 'disconnected';
  private readonly backoff: ExponentialBackoff;
  private retryTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private connectedSinceMs: number | null = null;
  private attemptInProgress: Promise<void> | null = null;
  private failedAttempts = 0;

  constructor(private readonly options: ConnectionSupervisorOptions) {
    this.backoff = new ExponentialBackoff(options.backoff, options.random);
    options.transport.onConnectionLost((error) => this.handleConnectionLost(error));
  }

  get state(): ConnectionState {
    return this.connectionState;
  }

  /** Epoch ms of the current connection's start, null when not connected. */
  get connectedSince(): number | null {
    return this.connectedSinceMs;
  }

  /** Connection attempts that failed since the agent started. */
  get connectFailures(): number {
    return this.failedAttempts;
  }

  start(): void {
    if (this.connectionState !== 'disconnected') return;
    this.attempt();
  }

  async stop(): Promise<void> {
    const wasState = this.connectionState;
    this.connectionState = 'stopped';
    this.clearTimers();
    // Let a connect in progress settle so its socket is closed by disconnect() below.
    await this.attemptInProgress?.catch(() => undefined);
    if (wasState !== 'stopped') await this.options.transport.disconnect();
    this.connectedSinceMs = null;
  }

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.connectionState === 'stopped') return;
    this.connectionState = 'connecting';
    const { transport, logger } = this.options;
    this.attemptInProgress = transport.connect().then(
      () => {
        if (this.connectionState === 'stopped') return;
        this.connectionState = 'connected';
        this.connectedSinceMs = this.options.clock.now();
        logger.info({ transport: transport.name, afterFailures: this.backoff.attempts }, 'mqtt connected');
        this.stableTimer = this.options.timers.setTimeout(() => {
          this.stableTimer = undefined;
          this.backoff.reset();
        }, this.options.backoff.stableAfterMs);
        this.options.onConnected?.(transport);
      },
      (error: unknown) => {
        if (this.connectionState === 'stopped') return;
        this.failedAttempts += 1;
        this.connectionState = 'disconnected';
        const delayMs = this.scheduleRetry();
        // The message names what failed (TLS, refused, timeout); a stack per retry is noise.
        logger.error(
          { error: errorMessage(error), attempt: this.backoff.attempts, retryInMs: delayMs },
          'mqtt connect failed; retrying with backoff',
        );
      },
    );
  }

  private handleConnectionLost(error: Error): void {
    if (this.connectionState !== 'connected') return;
    this.connectionState = 'disconnected';
    this.connectedSinceMs = null;
    if (this.stableTimer) this.options.timers.clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
    const delayMs = this.scheduleRetry();
    this.options.logger.warn(
      { error: errorMessage(error), retryInMs: delayMs },
      'mqtt connection lost; reconnecting',
    );
    this.options.onDisconnected?.(error);
  }

  private scheduleRetry(): number {
    const delayMs = this.backoff.nextDelayMs();
    this.retryTimer = this.options.timers.setTimeout(() => this.attempt(), delayMs);
    return delayMs;
  }

  private clearTimers(): void {
    if (this.retryTimer) this.options.timers.clearTimeout(this.retryTimer);
    if (this.stableTimer) this.options.timers.clearTimeout(this.stableTimer);
    this.retryTimer = undefined;
    this.stableTimer = undefined;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
