// npm start's command line: flags in, LocalStackOptions out, every bad value named.
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '@coffee-iot/device';
import { DEFAULT_STACK_OPTIONS as D, type LocalStackOptions, MAX_DEVICES } from './stack-options.js';

export const USAGE = `npm start [-- options]   the whole coffee-iot pipeline on this machine

  Local stand-ins for IoT Core (MQTT, mutual TLS), Kinesis, S3, Rekognition, Aurora and the lake,
  simulated devices in mock-hardware mode, and a live dashboard.

  --devices N          simulated devices coffee-pi-1 … coffee-pi-N (default ${D.devices}, 0 for none)
  --data-dir DIR       where all state lives (default ./${D.dataDir}); a restart carries on from it
  --mysql URL          a MySQL database instead of the embedded SQLite, e.g.
                       mysql://user:pass@127.0.0.1:3306/coffee?ssl=off
  --aws                analyse photos with Amazon Rekognition (your AWS credentials and region)
  --countdown N        LED countdown before each photo, seconds 0-9 (default ${D.countdownSeconds})
  --dashboard-port N   dashboard on 127.0.0.1 (default ${D.dashboardPort})
  --port N             MQTT broker (default ${D.brokerPort})
  --s3-port N          local S3 (default ${D.s3Port})
  --kinesis-port N     local Kinesis (default ${D.kinesisPort})
  --control-port N     coffee-pi-1's POST /press port (default ${D.controlPort}, 0 = off)
  --lake-flush-ms N    how long records gather before a lake write (default ${D.lakeFlushMs})
  --log-level LEVEL    the stack's log level (default ${D.logLevel}); agents log at warn
  --help
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  // Digits only: Number() would read '' as 0 (an unset shell variable turning devices off), and
  // accept '1e3', '0x10' and ' 8 '.
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

export function parseStackArgs(argv: string[]): LocalStackOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      devices: { type: 'string' },
      'data-dir': { type: 'string' },
      mysql: { type: 'string' },
      aws: { type: 'boolean', default: false },
      countdown: { type: 'string' },
      'dashboard-port': { type: 'string' },
      port: { type: 'string' },
      's3-port': { type: 'string' },
      'kinesis-port': { type: 'string' },
      'control-port': { type: 'string' },
      'lake-flush-ms': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const logLevel = values['log-level'] ?? D.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  if (values.mysql !== undefined && !/^mysql:\/\//.test(values.mysql)) {
    throw new UsageError(`--mysql must be a mysql:// URL, got "${values.mysql}"`);
  }
  return {
    ...D,
    dataDir: values['data-dir'] ?? D.dataDir,
    devices: integer('devices', values.devices, D.devices, 0, MAX_DEVICES),
    ...(values.mysql === undefined ? {} : { mysqlUrl: values.mysql }),
    aws: values.aws,
    countdownSeconds: integer('countdown', values.countdown, D.countdownSeconds, 0, 9),
    dashboardPort: integer('dashboard-port', values['dashboard-port'], D.dashboardPort, 1, 65535),
    brokerPort: integer('port', values.port, D.brokerPort, 1, 65535),
    s3Port: integer('s3-port', values['s3-port'], D.s3Port, 1, 65535),
    kinesisPort: integer('kinesis-port', values['kinesis-port'], D.kinesisPort, 1, 65535),
    controlPort: integer('control-port', values['control-port'], D.controlPort, 0, 65535),
    lakeFlushMs: integer('lake-flush-ms', values['lake-flush-ms'], D.lakeFlushMs, 100, 600_000),
    logLevel: logLevel as LogLevel,
  };
}
