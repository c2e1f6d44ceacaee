import type { Logger } from '@coffee-iot/device';

/** A started part of the stack: what it reports when ready and how to stop it. */
export interface RunningPart {
  /** One line for the terminal, e.g. "MQTT broker  mqtts://127.0.0.1:8883 (mutual TLS)". */
  readonly ready: string;
  stop(): Promise<void>;
}

/**
 * Starts parts in order and stops them in reverse. A part that fails to start stops every part
 * already running before the error goes on, so a bad flag never leaves a port held.
 */
export class StackParts {
  private readonly running: { name: string; part: RunningPart }[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly report: (line: string) => void,
  ) {}

  async start<P extends RunningPart>(name: string, start: () => Promise<P>): Promise<P> {
    let part: P;
    try {
      part = await start();
    } catch (error) {
      // The start failure is what the user must see; a part that also fails to stop is logged
      // by stopAll and must not replace it.
      await this.stopAll().catch(() => undefined);
      throw error;
    }
    this.running.push({ name, part });
    this.report(`  ${name.padEnd(16)}${part.ready}`);
    return part;
  }

  /** Stops every part, newest first; a part that fails to stop is logged and the rest still stop. */
  async stopAll(): Promise<void> {
    const failures: unknown[] = [];
    for (let next = this.running.pop(); next; next = this.running.pop()) {
      try {
        await next.part.stop();
        this.logger.debug({ part: next.name }, 'stopped');
      } catch (error) {
        failures.push(error);
        this.logger.error({ err: error, part: next.name }, 'part did not stop cleanly');
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, `${failures.length} part(s) did not stop cleanly`);
    }
  }
}
