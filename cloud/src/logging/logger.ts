import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * JSON logs for Lambda (CloudWatch) and the CLI. Pipeline logs carry ids only (device, event,
 * photo key, status), never face attributes: the photos are of people. Secrets are redacted.
 */
export function createCloudLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: ['*.password', 'password', '*.SecretString'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** A logger that discards everything, for tests that do not assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
