import { describe, expect, it } from 'vitest';
import { captureLogs, LEVEL } from '../testing/log-capture.js';
import { type RunningPart, StackParts } from './stack-parts.js';

/** Parts that note their stops in a shared list; `failStop` makes stop() throw after noting. */
function recorder() {
  const events: string[] = [];
  const part =
    (name: string, options: { failStop?: Error } = {}) =>
    async (): Promise<RunningPart> => {
      events.push(`start ${name}`);
      return {
        ready: `${name} ready`,
        async stop() {
          events.push(`stop ${name}`);
          if (options.failStop) throw options.failStop;
        },
      };
    };
  return { events, part };
}

describe('StackParts', () => {
  it('starts parts in order, reports each, and stops them newest first', async () => {
    const { logger } = captureLogs();
    const lines: string[] = [];
    const parts = new StackParts(logger, (line) => lines.push(line));
    const { events, part } = recorder();

    const kinesis = await parts.start('Kinesis', part('kinesis'));
    await parts.start('lake', part('lake'));
    await parts.start('MQTT broker', part('broker'));
    await parts.stopAll();

    expect(kinesis.ready).toBe('kinesis ready');
    expect(lines).toEqual([
      `  ${'Kinesis'.padEnd(16)}kinesis ready`,
      `  ${'lake'.padEnd(16)}lake ready`,
      `  ${'MQTT broker'.padEnd(16)}broker ready`,
    ]);
    expect(events).toEqual([
      'start kinesis',
      'start lake',
      'start broker',
      'stop broker',
      'stop lake',
      'stop kinesis',
    ]);
  });

  it('stops the parts already running, newest first, when a later part fails to start', async () => {
    const parts = new StackParts(captureLogs().logger, () => undefined);
    const { events, part } = recorder();
    const failure = new Error('port in use');
    await parts.start('Kinesis', part('kinesis'));
    await parts.start('lake', part('lake'));

    await expect(parts.start('MQTT broker', () => Promise.reject(failure))).rejects.toBe(failure);

    expect(events).toEqual(['start kinesis', 'start lake', 'stop lake', 'stop kinesis']);
    // Nothing left to stop.
    await parts.stopAll();
    expect(events).toHaveLength(4);
  });

  it('keeps stopping after a part fails to stop, then reports every failure at once', async () => {
    const { logger, lines } = captureLogs();
    const parts = new StackParts(logger, () => undefined);
    const { events, part } = recorder();
    const lakeStuck = new Error('lake stuck');
    const s3Stuck = new Error('s3 stuck');
    await parts.start('Kinesis', part('kinesis'));
    await parts.start('lake', part('lake', { failStop: lakeStuck }));
    await parts.start('photo handler', part('photos', { failStop: s3Stuck }));
    await parts.start('MQTT broker', part('broker'));

    const error = await parts.stopAll().catch((caught: unknown) => caught);

    expect(events.filter((event) => event.startsWith('stop'))).toEqual([
      'stop broker',
      'stop photos',
      'stop lake',
      'stop kinesis',
    ]);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([s3Stuck, lakeStuck]);
    expect((error as AggregateError).message).toBe('2 part(s) did not stop cleanly');
    expect(
      lines.filter((line) => line.level === LEVEL.error).map((line) => [line.part, line.err?.message]),
    ).toEqual([
      ['photo handler', 's3 stuck'],
      ['lake', 'lake stuck'],
    ]);
  });

  it('throws the start failure, not a stop failure, when cleaning up after a failed start', async () => {
    const { logger, lines } = captureLogs();
    const parts = new StackParts(logger, () => undefined);
    const { events, part } = recorder();
    const startFailure = new Error('dashboard port in use');
    await parts.start('Kinesis', part('kinesis'));
    await parts.start('lake', part('lake', { failStop: new Error('lake stuck') }));

    await expect(parts.start('dashboard', () => Promise.reject(startFailure))).rejects.toBe(startFailure);

    expect(events).toEqual(['start kinesis', 'start lake', 'stop lake', 'stop kinesis']);
    expect(lines.find((line) => line.level === LEVEL.error)).toMatchObject({ part: 'lake' });
  });
});
