import { readStatusFile, StatusFileError, statusFilePath } from './status-file.js';
import { assessStatus, type PidProbe, renderStatus } from './status-report.js';

export interface TextSink {
  write(text: string): unknown;
}

export interface StatusCommandOptions {
  stateDir: string;
  json: boolean;
  now: () => number;
  pidAlive: PidProbe;
  stdout: TextSink;
  stderr: TextSink;
}

/**
 * `coffee-iot-agent status`. Exit code 0 when the agent is running and connected to the
 * broker, 1 otherwise (not running, stale, connecting, disconnected or unreadable file), so
 * scripts and monitoring can use it as a health check.
 */
export async function runStatusCommand(options: StatusCommandOptions): Promise<number> {
  const file = statusFilePath(options.stateDir);
  let status: Awaited<ReturnType<typeof readStatusFile>>;
  try {
    status = await readStatusFile(options.stateDir);
  } catch (error) {
    if (!(error instanceof StatusFileError)) throw error;
    options.stderr.write(`coffee-iot-agent status: ${error.message}\n`);
    return 1;
  }
  const now = options.now();
  const assessment = assessStatus(status, now, options.pidAlive);
  if (options.json) {
    const report = {
      running: assessment.running,
      connected: assessment.connected,
      ...(assessment.running ? {} : { reason: assessment.reason }),
      statusFile: file,
      status: assessment.status,
    };
    options.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    options.stdout.write(renderStatus(assessment, file, now));
  }
  return assessment.running && assessment.connected ? 0 : 1;
}
