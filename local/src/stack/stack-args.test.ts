import { LOG_LEVELS } from '@coffee-iot/device';
import { describe, expect, it } from 'vitest';
import { parseStackArgs, USAGE, UsageError } from './stack-args.js';
import { DEFAULT_STACK_OPTIONS, MAX_DEVICES } from './stack-options.js';

function usageError(argv: string[]): UsageError {
  try {
    parseStackArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`parseStackArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('parseStackArgs', () => {
  it('gives the defaults for no flags', () => {
    expect(parseStackArgs([])).toEqual(DEFAULT_STACK_OPTIONS);
    expect(DEFAULT_STACK_OPTIONS).not.toHaveProperty('mysqlUrl');
  });

  it('reads every flag', () => {
    expect(
      parseStackArgs([
        '--devices',
        '25',
        '--data-dir',
        '/tmp/stack',
        '--mysql',
        'mysql://coffee:secret@127.0.0.1:3306/coffee?ssl=off',
        '--aws',
        '--countdown',
        '0',
        '--dashboard-port',
        '9090',
        '--port',
        '18883',
        '--s3-port',
        '14568',
        '--kinesis-port',
        '14567',
        '--control-port',
        '0',
        '--lake-flush-ms',
        '500',
        '--log-level',
        'debug',
      ]),
    ).toEqual({
      ...DEFAULT_STACK_OPTIONS,
      devices: 25,
      dataDir: '/tmp/stack',
      mysqlUrl: 'mysql://coffee:secret@127.0.0.1:3306/coffee?ssl=off',
      aws: true,
      countdownSeconds: 0,
      dashboardPort: 9090,
      brokerPort: 18883,
      s3Port: 14568,
      kinesisPort: 14567,
      controlPort: 0,
      lakeFlushMs: 500,
      logLevel: 'debug',
    });
  });

  it('accepts --flag=value and --devices 0 (no simulated devices)', () => {
    expect(parseStackArgs(['--devices=0', '--port=1'])).toMatchObject({ devices: 0, brokerPort: 1 });
    expect(parseStackArgs(['--devices', String(MAX_DEVICES)])).toMatchObject({ devices: MAX_DEVICES });
  });

  it('answers help for --help, whatever else is given', () => {
    expect(parseStackArgs(['--help'])).toBe('help');
    expect(parseStackArgs(['--devices', '3', '--help'])).toBe('help');
    expect(USAGE).toContain('--devices N');
  });

  it.each([
    [['--devices', 'abc'], '--devices must be a whole number from 0 to 5000, got "abc"'],
    [['--devices', '1.5'], '--devices must be a whole number from 0 to 5000, got "1.5"'],
    [['--devices=-1'], '--devices must be a whole number from 0 to 5000, got "-1"'],
    [
      ['--devices', String(MAX_DEVICES + 1)],
      `--devices must be a whole number from 0 to 5000, got "${MAX_DEVICES + 1}"`,
    ],
    // An unset shell variable ($N) must not quietly mean "no devices".
    [['--devices', ''], '--devices must be a whole number from 0 to 5000, got ""'],
    [['--devices', '1e3'], '--devices must be a whole number from 0 to 5000, got "1e3"'],
    [['--port', '0'], '--port must be a whole number from 1 to 65535, got "0"'],
    [['--s3-port', '65536'], '--s3-port must be a whole number from 1 to 65535, got "65536"'],
    [['--kinesis-port', '0x10'], '--kinesis-port must be a whole number from 1 to 65535, got "0x10"'],
    [['--dashboard-port', ' 80'], '--dashboard-port must be a whole number from 1 to 65535, got " 80"'],
    [['--control-port', 'off'], '--control-port must be a whole number from 0 to 65535, got "off"'],
    [['--countdown', '10'], '--countdown must be a whole number from 0 to 9, got "10"'],
    [['--lake-flush-ms', '99'], '--lake-flush-ms must be a whole number from 100 to 600000, got "99"'],
  ])('names the flag and the bad value: %j', (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });

  it('wants a mysql:// URL for --mysql', () => {
    expect(usageError(['--mysql', 'postgres://db/coffee']).message).toBe(
      '--mysql must be a mysql:// URL, got "postgres://db/coffee"',
    );
    expect(usageError(['--mysql', 'coffee.sqlite']).message).toContain('mysql://');
  });

  it('names the log levels when --log-level is not one', () => {
    expect(usageError(['--log-level', 'loud']).message).toBe(
      `--log-level must be one of ${LOG_LEVELS.join(', ')}, got "loud"`,
    );
  });

  it('refuses an unknown flag and a stray argument', () => {
    expect(() => parseStackArgs(['--device', '3'])).toThrow(/--device/);
    expect(() => parseStackArgs(['start'])).toThrow(/start/);
  });
});
