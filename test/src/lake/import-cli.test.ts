import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../../cloud/src/cli/cli-io.js';
import { IMPORT_USAGE, runImport } from '../../../cloud/src/cli/commands/import.js';
import {
  createActiveStream,
  REGION,
  type RunningKinesalite,
  readAllRecords,
  startKinesalite,
} from '../stream/kinesalite-stack.js';
import { HEADER, IMPORT_NOW, importFixturePath, type TelemetryRecord } from './import-fixtures.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

describe('coffee-iot import', () => {
  let kinesalite: RunningKinesalite;
  let dir: string;
  let streams = 0;

  beforeAll(async () => {
    kinesalite = await startKinesalite();
    dir = await mkdtemp(join(tmpdir(), 'import-cli-'));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  afterAll(async () => {
    await kinesalite?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function newStream(): Promise<string> {
    streams += 1;
    const name = `import-${streams}`;
    await createActiveStream(kinesalite.client, name, 1);
    return name;
  }

  /** Runs the command in-process; `tty` makes stderr look like a terminal. */
  async function run(argv: string[], options: { tty?: boolean; env?: CliIo['env'] } = {}): Promise<Run> {
    // The SDK reads credentials from the process environment, as it would for a user.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'KINESALITE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'KINESALITE');
    let stdout = '';
    let stderr = '';
    let clock = IMPORT_NOW.getTime();
    const code = await runImport(argv, {
      env: options.env ?? {},
      cwd: dir,
      // Every look at the clock is a second later, so lines/s is never a division by zero.
      now: () => {
        clock += 1_000;
        return new Date(clock);
      },
      stdout: {
        write: (text: string) => {
          stdout += text;
        },
      },
      stderr: {
        write: (text: string) => {
          stderr += text;
        },
        isTTY: options.tty ?? false,
      } as CliIo['stderr'],
    });
    return { code, stdout, stderr };
  }

  function kinesisFlags(stream: string): string[] {
    return ['--stream', stream, '--region', REGION, '--endpoint', kinesalite.endpoint];
  }

  async function sent(stream: string): Promise<TelemetryRecord[]> {
    const records = await readAllRecords(kinesalite.client, stream);
    return records.map((record) => JSON.parse(decoder.decode(record.data)) as TelemetryRecord);
  }

  it('imports into a Kinesis stream, prints the refused lines, writes them all with --report and exits 1', async () => {
    const stream = await newStream();
    const result = await run([
      importFixturePath('readings-with-bad-lines.csv'),
      ...kinesisFlags(stream),
      '--report',
      'refused.csv',
    ]);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`into Kinesis stream ${stream}\n`);
    expect(result.stdout).toContain(
      '  accepted     5 reading(s) from 2 device(s) (coffee-pi-1: 3, coffee-pi-2: 2)\n',
    );
    expect(result.stdout).toContain('  refused      6 line(s)\n');
    expect(result.stdout).toContain(
      'Refused lines:\n' +
        '  line 3: temperature: "warm" is not a number\n' +
        '  line 4: ts: "2026-03-14T25:15:32.250Z" is not a real date and time\n' +
        '  line 5: device_id: "coffee pi 1" is not a thing name (1-128 of A-Z a-z 0-9 : _ -)\n' +
        '  line 6: humidity: missing value\n' +
        '  line 11: expected 8 fields as in the header, got 9\n' +
        '  line 12: humidity: "120" is above 100\n',
    );
    expect(await readFile(join(dir, 'refused.csv'), 'utf8')).toBe(
      'line,reason\n' +
        '3,"temperature: ""warm"" is not a number"\n' +
        '4,"ts: ""2026-03-14T25:15:32.250Z"" is not a real date and time"\n' +
        '5,"device_id: ""coffee pi 1"" is not a thing name (1-128 of A-Z a-z 0-9 : _ -)"\n' +
        '6,humidity: missing value\n' +
        '11,"expected 8 fields as in the header, got 9"\n' +
        '12,"humidity: ""120"" is above 100"\n',
    );
    const records = await sent(stream);
    expect(records.flatMap((r) => r.readings.map((reading) => `${r.deviceId}/${reading.ts}`))).toEqual([
      'coffee-pi-1/2026-03-14T08:15:30.250Z',
      'coffee-pi-1/2026-03-14T08:15:34.250Z',
      'coffee-pi-1/2026-03-14T08:15:35.250Z',
      'coffee-pi-2/2026-03-14T08:15:35.000Z',
      'coffee-pi-2/2026-03-14T08:15:36.000Z',
    ]);
  });

  it('exits 0 when every line was imported, drawing a progress bar on a terminal', async () => {
    const stream = await newStream();
    const start = Date.parse('2026-03-14T00:00:00.000Z');
    const lines = Array.from({ length: 3_000 }, (_, i) => `coffee-pi-1,${start + i * 1000},20,40,1000,0,0,0`);
    await writeFile(join(dir, 'good.csv'), `${HEADER}\n${lines.join('\n')}\n`);

    const result = await run(['good.csv', ...kinesisFlags(stream)], { tty: true });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  accepted     3,000 reading(s) from 1 device(s) (coffee-pi-1: 3,000)\n',
    );
    expect(result.stdout).not.toContain('Refused lines');
    // Each frame starts with carriage return and erase-line, redrawing the bar in place.
    const frames = result.stderr.split('\r\x1b[2K');
    expect(frames[0]).toBe('');
    expect(frames[1]).toMatch(/^importing \[#+-*\] +\d+% {2}1,000 lines {2}[\d,]+ lines\/s {2}0 refused$/);
    expect(frames.at(-1)).toMatch(
      /^importing \[#{24}\] 100% {2}3,000 lines {2}[\d,]+ lines\/s {2}0 refused\n$/,
    );
    expect((await sent(stream)).reduce((n, r) => n + r.readings.length, 0)).toBe(3_000);
  });

  it('writes plain progress lines, not a bar, when stderr is not a terminal', async () => {
    const stream = await newStream();
    const start = Date.parse('2026-03-14T00:00:00.000Z');
    const lines = Array.from(
      { length: 12_000 },
      (_, i) => `coffee-pi-1,${start + i * 1000},20,40,1000,0,0,0`,
    );
    await writeFile(join(dir, 'plain.csv'), `${HEADER}\n${lines.join('\n')}\n`);

    const result = await run(['plain.csv', ...kinesisFlags(stream)]);

    expect(result.code).toBe(0);
    // The clock moves a second per look and progress comes every 1,000 lines, so 12 updates
    // over ~13 s: a line every 5 s makes two.
    expect(result.stderr).not.toContain('\r');
    const progress = result.stderr.split('\n').filter(Boolean);
    expect(progress).toHaveLength(2);
    for (const line of progress) {
      expect(line).toMatch(
        /^import: +\d+%, [\d,]+ lines, [\d,]+ lines\/s, 0 refused \([\d.]+ of [\d.]+ MB\)$/,
      );
    }
  });

  it('refuses a bad header with exit 2, naming the missing and unknown columns, and sends nothing', async () => {
    const stream = await newStream();
    await writeFile(join(dir, 'bad-header.csv'), 'device_id,time,temperature\ncoffee-pi-1,1773476130,20\n');

    const result = await run(['bad-header.csv', ...kinesisFlags(stream)]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'bad-header.csv: bad CSV header: missing required column(s): ts, humidity, pressure, pitch, roll, yaw; unknown column(s): "time"',
    );
    expect(await sent(stream)).toEqual([]);
  });

  it('exits 2 for a file it cannot read and for bad usage', async () => {
    const missing = await run(['nope.csv', ...kinesisFlags('unused')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^coffee-iot import: cannot read .*nope\.csv: ENOENT/);

    const directory = await run(['.', ...kinesisFlags('unused')]);
    expect(directory).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a file') });

    for (const [argv, message] of [
      [[], 'name the CSV file to import'],
      [['a.csv', 'b.csv'], 'expected one CSV file, got 2'],
      [
        ['a.csv', '--stream', 's', '--lake', 'x'],
        'give one of --lake, --stream or --delivery-stream, not --lake and --stream',
      ],
      [
        ['a.csv', '--stream', 's', '--delivery-stream', 'd'],
        'give one of --lake, --stream or --delivery-stream, not --stream and --delivery-stream',
      ],
      [['a.csv', '--region', 'eu-west-1'], '--region applies only with --stream or --delivery-stream'],
      [['a.csv', '--delivery-stream', ''], '--delivery-stream is empty'],
      [['a.csv', '--stream', 's', '--endpoint', 'localhost:4567'], '--endpoint must be an http(s) URL'],
      [['a.csv', '--frobnicate'], "Unknown option '--frobnicate'"],
    ] as const) {
      const result = await run([...argv]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('Run "coffee-iot import --help" for usage.');
    }
  });

  it('prints its usage for --help', async () => {
    const result = await run(['--help']);
    expect(result).toEqual({ code: 0, stdout: IMPORT_USAGE, stderr: '' });
  });

  it('exits 1 with what was sent when the stream is unreachable, saying a re-run is safe', async () => {
    await writeFile(join(dir, 'one.csv'), `${HEADER}\ncoffee-pi-1,1773476130,20,40,1000,0,0,0\n`);
    const result = await run(['one.csv', ...kinesisFlags('no-such-stream')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /one\.csv: import stopped after 1 line\(s\), 0 reading\(s\) sent: .*importing the file again is safe/,
    );
  });
});
