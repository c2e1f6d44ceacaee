import type { Clock, Logger, Press, PressListener, PressTrigger } from '@coffee-iot/device';

/** The device's answer to a press, as its HTTP control port gives it (202 only once on disk). */
export interface RemotePressAnswer {
  status: number;
  body: Record<string, unknown>;
}

const ACCEPTED: RemotePressAnswer = { status: 202, body: { accepted: true } };

/**
 * A press from the stack (dashboard, Enter key) to one simulated device: the same port as the
 * GPIO button, reported as an 'http' press since it comes over the control channel. Like the
 * control port, it lets the coffee flow answer (`answerPresses`), so a press that could not be
 * recorded (a full disk) reaches the dashboard as an error instead of a 202 that vanishes.
 */
export class RemotePressTrigger implements PressTrigger<'http'> {
  readonly name = 'remote';
  private readonly listeners = new Set<PressListener<'http'>>();
  private handler: ((press: Press<'http'>) => RemotePressAnswer) | undefined;
  private started = false;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  onPress(listener: PressListener<'http'>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lets `handler` take each press and answer it, instead of 202 and the listeners. */
  answerPresses(handler: (press: Press<'http'>) => RemotePressAnswer): () => void {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }

  /** The device's answer; null when the agent has not started its triggers yet (or stopped them). */
  press(): RemotePressAnswer | null {
    if (!this.started) return null;
    const press = { atMs: this.clock.now(), source: 'http' as const };
    if (this.handler) {
      try {
        return this.handler(press);
      } catch (error) {
        this.logger.error({ err: error }, 'press handler failed');
        return { status: 500, body: { error: `the press failed: ${(error as Error).message}` } };
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(press);
      } catch (error) {
        this.logger.error({ err: error }, 'press listener failed');
      }
    }
    return ACCEPTED;
  }
}
