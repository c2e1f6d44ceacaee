import { createLogger, type Logger } from '@coffee-iot/device';

export interface LogLine {
  level: number;
  msg: string;
  err?: { message?: string; type?: string };
  [field: string]: unknown;
}

/** A real pino logger at debug level whose lines are parsed and kept, so tests can assert on them. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger('debug', {
    write: (line: string) => {
      lines.push(JSON.parse(line) as LogLine);
      return true;
    },
  } as NodeJS.WritableStream);
  return { logger, lines };
}

export const LOG_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
