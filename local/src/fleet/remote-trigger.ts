import type { Clock, Logger, PressListener, PressTrigger } from '@coffee-iot/device';

/**
 * A press from the stack (dashboard, Enter key) to one simulated device: the same port as the
 * GPIO button, reported as an 'http' press since it comes over the control channel.
 */
export class RemotePressTrigger implements PressTrigger<'http'> {
  readonly name = 'remote';
  private readonly listeners = new Set<PressListener<'http'>>();
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

  /** False when the agent has not started its triggers yet (or stopped them). */
  press(): boolean {
    if (!this.started) return false;
    const press = { atMs: this.clock.now(), source: 'http' as const };
    for (const listener of this.listeners) {
      try {
        listener(press);
      } catch (error) {
        this.logger.error({ err: error }, 'press listener failed');
      }
    }
    return true;
  }
}
