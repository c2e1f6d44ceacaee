import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../ports/logger.js';

/** A real pino logger whose JSON lines are collected, for tests that assert on what was logged. */
export function captureLogs(level: LogLevel = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, stream), lines };
}
