import type { Logger } from '../ports/logger.js';
import type { Press, PressListener, PressSource } from './button-port.js';

/**
 * The listener set every trigger shares. A listener that throws is logged with the press and
 * the trigger's name; the other listeners still run and the trigger keeps working.
 */
export class PressListeners<S extends PressSource> {
  private readonly listeners = new Set<PressListener<S>>();

  constructor(
    private readonly trigger: string,
    private readonly logger: Logger,
  ) {}

  add(listener: PressListener<S>): () => void {
    // A wrapper per subscription, so subscribing the same function twice yields two independent
    // subscriptions and each unsubscribe removes only its own.
    const entry: PressListener<S> = (press) => listener(press);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(press: Press<S>): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(press);
      } catch (error) {
        this.logger.error({ err: error, trigger: this.trigger, press }, 'press listener failed');
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
