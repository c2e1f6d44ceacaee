import { createLogger, type Logger } from '@coffee-iot/device';

export interface CapturedLine {
  level: number;
  msg: string;
  err?: { message?: string; type?: string };
  [field: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A real pino logger at debug level whose lines are parsed and kept, for assertions on logs. */
export function captureLogs(): { logger: Logger; lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const logger = createLogger('debug', {
    write: (line: string) => {
      lines.push(JSON.parse(line) as CapturedLine);
      return true;
    },
  } as NodeJS.WritableStream);
  return { logger, lines };
}
