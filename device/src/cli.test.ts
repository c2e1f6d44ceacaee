import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CliIo, main } from './cli.js';
import { CONFIG_FLAGS } from './config/config-flags.js';
import { fakeDoctorPorts } from './doctor/fake-doctor-ports.js';
import { createLogger } from './ports/logger.js';
import { openSenseHat } from './sensors/sense-hat-sensors.js';
import { writeStatusFile } from './status/status-file.js';

function sink() {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

/** pino wants a real stream; this one keeps what it is given. */
function logSink() {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      stream.text += chunk.toString();
      callback();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

describe('coffee-iot-agent CLI', () => {
  let dir: string;
  let stdout: ReturnType<typeof sink>;
  let stderr: ReturnType<typeof sink>;
  let logs: ReturnType<typeof logSink>;
  let runAgent: ReturnType<typeof vi.fn<NonNullable<CliIo['runAgent']>>>;

  const io = (env: Record<string, string> = {}): CliIo => ({
    stdout,
    stderr,
    env,
    cwd: dir,
    now: () => Date.parse('2026-03-01T10:00:01.000Z'),
    pidAlive: () => true,
    createLogger: (level) => createLogger(level, logs),
    runAgent,
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-cli-'));
    stdout = sink();
    stderr = sink();
    logs = logSink();
    runAgent = vi.fn<NonNullable<CliIo['runAgent']>>().mockResolvedValue(0);
    for (const name of ['cert.pem', 'key.pem', 'ca.pem']) {
      await writeFile(join(dir, name), 'PEM');
      await chmod(join(dir, name), 0o600);
    }
    await writeFile(
      join(dir, 'agent.json'),
      JSON.stringify({
        thingName: 'coffee-pi-01',
        endpoint: 'localhost',
        cert: 'cert.pem',
        key: 'key.pem',
        rootCa: 'ca.pem',
        stateDir: 'state',
      }),
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints usage listing every flag, the env convention and the default config path', async () => {
    expect(await main(['--help'], io())).toBe(0);
    for (const { flag } of CONFIG_FLAGS) expect(stdout.text).toContain(`--${flag}`);
    expect(stdout.text).toContain('COFFEE_IOT_SPOOL_MAX_BYTES');
    expect(stdout.text).toContain('/etc/coffee-iot/agent.json');
    expect(await main(['help'], io())).toBe(0);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['brew'], /unknown command "brew"/],
    [['status', 'now'], /unexpected arguments: now/],
    [['--json'], /--json applies only to the status and doctor commands/],
    [['--port'], /argument missing/],
  ])('exits 2 on bad usage %j', async (argv, message) => {
    expect(await main(argv, io())).toBe(2);
    expect(stderr.text).toMatch(message);
    expect(runAgent).not.toHaveBeenCalled();
  });

  it('exits 2 on bad configuration, one problem per line naming its key', async () => {
    const code = await main(
      ['--config', join(dir, 'agent.json'), '--port', '0'],
      io({ COFFEE_IOT_SPOOL: '1' }),
    );
    expect(code).toBe(2);
    const lines = stderr.text.trim().split('\n');
    expect(lines[0]).toBe('coffee-iot-agent: invalid configuration (2 problems):');
    expect(lines[1]).toMatch(/^ {2}COFFEE_IOT_SPOOL: unknown environment variable/);
    expect(lines[2]).toMatch(/^ {2}port: must be >= 1, got 0; .* \(from --port\)$/);
    expect(runAgent).not.toHaveBeenCalled();
  });

  it('runs the agent with the loaded config and returns its exit code', async () => {
    runAgent.mockResolvedValue(0);
    const code = await main(['--config', 'agent.json', '--mock', '--log-level', 'debug'], io());
    expect(code).toBe(0);
    const [config, options] = runAgent.mock.calls[0] ?? [];
    expect(config).toMatchObject({
      thingName: 'coffee-pi-01',
      mock: true,
      logLevel: 'debug',
      key: join(dir, 'key.pem'),
      stateDir: join(dir, 'state'),
    });
    expect(options?.warnings).toEqual([]);
  });

  it('logs and passes on a warning about a group-readable key', async () => {
    await chmod(join(dir, 'key.pem'), 0o640);
    expect(await main(['--config', 'agent.json'], io())).toBe(0);
    expect(runAgent.mock.calls[0]?.[1].warnings).toEqual([expect.stringMatching(/^key: .*\(mode 0640\)/)]);
    expect(logs.text).toMatch(/"level":40.*"msg":"configuration warning"/);
  });

  it('exits 1 and logs the cause when the agent fails', async () => {
    runAgent.mockRejectedValue(new Error('spool is corrupt'));
    expect(await main(['--config', 'agent.json'], io())).toBe(1);
    expect(logs.text).toMatch(/"level":60.*spool is corrupt/);
  });

  it('exits 3, naming the install and doctor, when the Sense HAT driver module is missing', async () => {
    const missing = 'coffee-iot-no-such-driver';
    runAgent.mockImplementation(() => openSenseHat({ loadDriver: () => import(missing) }).then(() => 0));
    expect(await main(['--config', 'agent.json'], io())).toBe(3);
    expect(stderr.text).toMatch(/driver module node-sense-hat is missing or cannot load/);
    expect(stderr.text).toMatch(/reinstall from the release tarball/i);
    expect(stderr.text).toMatch(/coffee-iot-agent doctor/);
    expect(stderr.text).not.toMatch(/HAT is seated/);
    expect(logs.text).toMatch(/"level":60.*"exitCode":3/);
  });

  it('exits 4, naming the HAT, I2C and /dev/i2c-1, when the driver loads but the HAT is absent', async () => {
    runAgent.mockImplementation(() =>
      openSenseHat({
        loadDriver: async () => {
          throw new Error('Cannot detect RPi-Sense FB device');
        },
      }).then(() => 0),
    );
    expect(await main(['--config', 'agent.json'], io())).toBe(4);
    expect(stderr.text).toMatch(/Sense HAT is not answering/);
    expect(stderr.text).toMatch(/raspi-config/);
    expect(stderr.text).toMatch(/\/dev\/i2c-1/);
    expect(stderr.text).not.toMatch(/reinstall/i);
  });

  it('doctor --json prints every check as {name, status, detail, fix} and exits 1 when one fails', async () => {
    const { ports } = fakeDoctorPorts();
    const code = await main(['doctor', '--json', '--config', 'agent.json'], { ...io(), doctorPorts: ports });
    const results = JSON.parse(stdout.text) as { name: string; status: string }[];
    expect(results[0]).toEqual({ name: 'configuration', status: 'ok', detail: 'valid', fix: '' });
    // The fake machine has no files in this test's directory: the certificate check fails.
    expect(results).toContainEqual(expect.objectContaining({ name: 'certificate', status: 'fail' }));
    expect(code).toBe(1);
    expect(runAgent).not.toHaveBeenCalled();
  });

  it('doctor runs on a broken configuration, reporting it as the first failing check (exit 1, not 2)', async () => {
    await writeFile(join(dir, 'agent.json'), '{ "thingName": ');
    const { ports } = fakeDoctorPorts();
    const code = await main(['doctor', '--config', 'agent.json'], { ...io(), doctorPorts: ports });
    expect(code).toBe(1);
    expect(stdout.text.split('\n')[0]).toMatch(/^✗ configuration +invalid: .*agent\.json/);
    expect(stdout.text).toMatch(/^✓ node /m);
  });

  it('lists every exit code in the usage text', async () => {
    await main(['--help'], io());
    for (const code of ['0', '1', '2', '3', '4'])
      expect(stdout.text).toMatch(new RegExp(`^ {2}${code} `, 'm'));
  });

  it('status reads the state directory of the configuration, without checking the key', async () => {
    await rm(join(dir, 'key.pem'));
    const stateDir = join(dir, 'var');
    await mkdir(stateDir);
    await writeStatusFile(stateDir, {
      pid: 1,
      updatedAt: '2026-03-01T10:00:00.000Z',
      connection: 'connected',
      transport: 'mqtt.js',
      endpoint: 'localhost',
      spoolDepth: 0,
      oldestUnsentAt: null,
      droppedReadings: 0,
      sensorErrors: 0,
      lastPubackAt: null,
      agentVersion: '0.1.0',
      startedAt: '2026-03-01T09:00:00.000Z',
    });
    expect(await main(['status', '--config', 'agent.json', '--state-dir', stateDir], io())).toBe(0);
    expect(stdout.text).toMatch(/^agent running: pid 1/);
    expect(await main(['status', '--json', '--config', 'agent.json'], io())).toBe(1);
  });
});
