import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import type { ConfigFs } from './config-fs.js';
import { type ConfigSources, loadConfig } from './load-config.js';

interface FakeFile {
  text?: string;
  mode?: number;
  readable?: boolean;
  directory?: boolean;
}

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

/** In-memory files, so permission cases do not depend on the uid running the tests. */
function fakeFs(files: Record<string, FakeFile>): ConfigFs {
  const find = (path: string) => {
    const file = files[path];
    if (!file) throw errno('ENOENT', path);
    return file;
  };
  return {
    readText: (path) => {
      const file = find(path);
      if (file.readable === false) throw errno('EACCES', path);
      return file.text ?? '';
    },
    stat: (path) => {
      const file = find(path);
      return { isFile: () => !file.directory, mode: 0o100000 | (file.mode ?? 0o600) };
    },
    checkReadable: (path) => {
      if (find(path).readable === false) throw errno('EACCES', path);
    },
  };
}

const PEM = { '/etc/coffee-iot/cert.pem': {}, '/etc/coffee-iot/key.pem': {}, '/etc/coffee-iot/ca.pem': {} };
const VALID = {
  thingName: 'coffee-pi-01',
  endpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
  cert: '/etc/coffee-iot/cert.pem',
  key: '/etc/coffee-iot/key.pem',
  rootCa: '/etc/coffee-iot/ca.pem',
};

function sources(file: unknown, extra: Partial<ConfigSources> = {}, more: Record<string, FakeFile> = {}) {
  const text = typeof file === 'string' ? file : JSON.stringify(file);
  return {
    configPath: '/etc/coffee-iot/agent.json',
    env: {},
    fs: fakeFs({ ...PEM, '/etc/coffee-iot/agent.json': { text }, ...more }),
    cwd: '/home/pi',
    ...extra,
  } satisfies ConfigSources;
}

function problemsOf(input: ConfigSources): readonly string[] {
  try {
    loadConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default around the required keys', () => {
    const { config, warnings } = loadConfig(sources(VALID));
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      ...VALID,
      port: 8883,
      stateDir: '/var/lib/coffee-iot',
      topicPrefix: 'dt/coffee-iot',
      intervalMs: 1000,
      batchSeconds: 0,
      transport: 'auto',
      logLevel: 'info',
      keepAliveSeconds: 30,
      connectTimeoutMs: 30_000,
      reconnect: { minMs: 1000, maxMs: 60_000, stableAfterMs: 30_000 },
      publish: { maxPublishesPerSecond: 100, maxPayloadBytes: 131_072, maxInFlight: 10 },
      spool: { maxReadings: 604_800, maxBytes: 256 * 1024 * 1024, maxAgeHours: 168 },
      sensors: { temperatureCompensation: { enabled: true, factor: 1.5 } },
      healthIntervalSeconds: 60,
      clockSyncWaitSeconds: 900,
      mock: false,
      coffee: { countdownSeconds: 3, cooldownMs: 2000 },
      button: { activeLow: true, debounceMs: 50, joystick: true },
      camera: {
        width: 1280,
        height: 720,
        quality: 90,
        rotation: 0,
        hflip: false,
        vflip: false,
        timeoutMs: 10_000,
        settleMs: 1000,
      },
      outbox: { maxPhotos: 2000, maxBytes: 1024 * 1024 * 1024, keepUploaded: false },
      upload: {
        region: 'us-east-1',
        forcePathStyle: false,
        requestTimeoutMs: 30_000,
        backoff: { minMs: 1000, maxMs: 300_000 },
        devStaticCredentials: false,
      },
      credentials: { refreshBeforeExpiryMs: 300_000 },
      control: { port: 0 },
    });
  });

  it('requires the IoT credential provider when photos are uploaded, and keeps dev keys to mock mode', () => {
    const problems = problemsOf(
      sources({ ...VALID, upload: { bucket: 'coffee-photos' }, camera: { rotation: 90 } }),
    ).join('\n');
    expect(problems).toMatch(/credentials\.endpoint: required when upload\.bucket is set/);
    expect(problems).toMatch(/credentials\.roleAlias: required when upload\.bucket is set/);
    expect(problems).toMatch(/camera\.rotation: expected 0 or 180, got 90/);
    const devKeys = problemsOf(
      sources({ ...VALID, upload: { bucket: 'coffee-photos', devStaticCredentials: true } }),
    );
    expect(devKeys.join('\n')).toMatch(
      /upload\.devStaticCredentials: only for the local stack \(mock: true\)/,
    );
    expect(devKeys.join('\n')).toMatch(/needs upload\.endpoint/);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      sources({ ...VALID, thingName: 'bad name!', port: 'x', spool: { maxBytes: 1, colour: 'red' } }),
    );
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/thingName: has the wrong form/);
    expect(problems.join('\n')).toMatch(/port: must be an integer/);
    expect(problems.join('\n')).toMatch(/spool\.maxBytes: must be >= 65536/);
    expect(problems.join('\n')).toMatch(/spool\.colour: unknown key/);
  });

  describe('names the key for each kind of mistake', () => {
    it.each([
      [
        'an unknown top-level key',
        { ...VALID, thingname: 'x' },
        /^thingname: unknown key \(from \/etc\/coffee-iot\/agent\.json\); known keys: thingName/,
      ],
      [
        'an unknown nested key',
        { ...VALID, reconnect: { minMS: 5 } },
        /^reconnect\.minMS: unknown key .*known keys under reconnect: minMs, maxMs, stableAfterMs/,
      ],
      ['a wrong type', { ...VALID, mock: 'yes' }, /^mock: must be true or false, got "yes"/],
      [
        'a nested wrong type',
        { ...VALID, sensors: { temperatureCompensation: { factor: '2' } } },
        /^sensors\.temperatureCompensation\.factor: must be a number/,
      ],
      ['an object where a value belongs', { ...VALID, spool: 5 }, /^spool: must be an object, got 5/],
      [
        'below the minimum',
        { ...VALID, intervalMs: 50 },
        /^intervalMs: must be >= 100, got 50; expected milliseconds between readings/,
      ],
      [
        'above the maximum',
        { ...VALID, publish: { maxPublishesPerSecond: 500 } },
        /^publish\.maxPublishesPerSecond: must be <= 100, got 500/,
      ],
      [
        'a payload above IoT Core’s limit',
        { ...VALID, publish: { maxPayloadBytes: 200_000 } },
        /^publish\.maxPayloadBytes: must be <= 131072/,
      ],
      [
        'a non-positive spool age',
        { ...VALID, spool: { maxAgeHours: 0 } },
        /^spool\.maxAgeHours: must be > 0/,
      ],
      [
        'an unknown transport',
        { ...VALID, transport: 'websocket' },
        /^transport: must be one of auto, aws-crt, mqtt\.js, got "websocket"/,
      ],
      ['an unknown log level', { ...VALID, logLevel: 'verbose' }, /^logLevel: must be one of fatal, error/],
      [
        'a bad thing name',
        { ...VALID, thingName: 'coffee/pi' },
        /^thingName: has the wrong form, got "coffee\/pi"; expected AWS IoT thing name/,
      ],
      [
        'a URL as endpoint',
        { ...VALID, endpoint: 'mqtts://abc.iot.amazonaws.com:8883' },
        /^endpoint: has the wrong form.*without scheme or port/,
      ],
      [
        'a topic prefix with a wildcard',
        { ...VALID, topicPrefix: 'dt/+/coffee' },
        /^topicPrefix: must not contain MQTT wildcards/,
      ],
      [
        'a topic prefix with a leading slash',
        { ...VALID, topicPrefix: '/dt/coffee-iot' },
        /^topicPrefix: must not start or end with "\/"/,
      ],
      [
        'a topic prefix too deep for IoT Core',
        { ...VALID, topicPrefix: 'a/b/c/d/e/f/g' },
        /^topicPrefix: topic .* levels separators/,
      ],
      ['an empty path', { ...VALID, cert: '' }, /^cert: must not be empty/],
      [
        'reconnect bounds the wrong way round',
        { ...VALID, reconnect: { minMs: 90_000, maxMs: 60_000 } },
        /^reconnect\.minMs: 90000 is greater than reconnect\.maxMs/,
      ],
    ])('%s', (_kind, file, expected) => {
      const problems = problemsOf(sources(file));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    });

    it('a missing required key', () => {
      const { endpoint: _endpoint, ...rest } = VALID;
      expect(problemsOf(sources(rest))).toEqual([
        expect.stringMatching(/^endpoint: required but not set; expected broker host name/),
      ]);
    });

    it('invalid JSON, with the line and column', () => {
      const problems = problemsOf(sources('{\n  "thingName": "pi",\n  "port": 88,,\n}'));
      expect(problems[0]).toMatch(
        /^config file \/etc\/coffee-iot\/agent\.json: invalid JSON at line 3, column 14: /,
      );
    });

    it('a file that is not an object', () => {
      expect(problemsOf(sources('[1, 2]'))[0]).toMatch(/expected a JSON object of settings, got \[1,2\]/);
    });

    it('an explicitly given config file that does not exist', () => {
      const input = sources(VALID, { configPath: '/srv/missing.json' });
      expect(problemsOf(input)[0]).toBe('config file /srv/missing.json: file not found');
    });

    it('a config file the agent cannot read', () => {
      const input = sources(VALID, {}, { '/etc/coffee-iot/agent.json': { text: '{}', readable: false } });
      expect(problemsOf(input)[0]).toMatch(
        /^config file \/etc\/coffee-iot\/agent\.json: cannot read it \(EACCES\)/,
      );
    });

    it('an unknown COFFEE_IOT_ variable, by name', () => {
      const problems = problemsOf(
        sources(VALID, { env: { COFFEE_IOT_THINGNAME: 'x', COFFEE_IOT_SPOOL_MAX_BYTE: '1' } }),
      );
      expect(problems).toEqual([
        expect.stringMatching(/^COFFEE_IOT_SPOOL_MAX_BYTE: unknown environment variable/),
        expect.stringMatching(/^COFFEE_IOT_THINGNAME: unknown environment variable/),
      ]);
    });

    it('an environment value of the wrong type, naming key and variable', () => {
      const problems = problemsOf(sources(VALID, { env: { COFFEE_IOT_SPOOL_MAX_BYTES: '10MB' } }));
      expect(problems).toEqual([
        'spool.maxBytes: "10MB" is not an integer (from COFFEE_IOT_SPOOL_MAX_BYTES)',
      ]);
    });

    it('an out-of-range environment value, naming where it came from', () => {
      const problems = problemsOf(sources(VALID, { env: { COFFEE_IOT_PORT: '70000' } }));
      expect(problems).toEqual([
        expect.stringMatching(/^port: must be <= 65535, got 70000; .* \(from COFFEE_IOT_PORT\)$/),
      ]);
    });

    it('a flag value of the wrong type', () => {
      const problems = problemsOf(sources(VALID, { flags: { 'interval-ms': 'fast' } }));
      expect(problems).toEqual(['intervalMs: "fast" is not an integer (from --interval-ms)']);
    });
  });

  describe('PEM files', () => {
    it('reports a missing certificate, naming the key and path', () => {
      const problems = problemsOf(sources({ ...VALID, cert: '/etc/coffee-iot/nope.pem' }));
      expect(problems).toEqual([
        'cert: file not found: /etc/coffee-iot/nope.pem (from /etc/coffee-iot/agent.json)',
      ]);
    });

    it('reports an unreadable key', () => {
      const input = sources(VALID, {}, { '/etc/coffee-iot/key.pem': { readable: false } });
      expect(problemsOf(input)).toEqual([
        expect.stringMatching(/^key: \/etc\/coffee-iot\/key\.pem is not readable by this user \(EACCES\)/),
      ]);
    });

    it('reports a directory given as the CA', () => {
      const input = sources(VALID, {}, { '/etc/coffee-iot/ca.pem': { directory: true } });
      expect(problemsOf(input)).toEqual([
        expect.stringMatching(/^rootCa: \/etc\/coffee-iot\/ca\.pem is not a regular file/),
      ]);
    });

    it('warns, without failing, when the private key is group-readable', () => {
      const input = sources(VALID, {}, { '/etc/coffee-iot/key.pem': { mode: 0o640 } });
      const { warnings } = loadConfig(input);
      expect(warnings).toEqual([
        "key: /etc/coffee-iot/key.pem is accessible by group or others (mode 0640); restrict it to the agent's user: chmod 600 /etc/coffee-iot/key.pem",
      ]);
    });

    it('does not warn about a world-readable certificate (it is public)', () => {
      const input = sources(VALID, {}, { '/etc/coffee-iot/cert.pem': { mode: 0o644 } });
      expect(loadConfig(input).warnings).toEqual([]);
    });

    it('skips the file checks when asked (status only needs stateDir)', () => {
      const input = sources({ ...VALID, key: '/nowhere/key.pem' }, { checkFiles: false });
      expect(loadConfig(input).config.key).toBe('/nowhere/key.pem');
    });

    it('checks the files even when other keys are wrong, so one run reports all', () => {
      const problems = problemsOf(sources({ ...VALID, port: 0, key: '/etc/coffee-iot/missing.key' }));
      expect(problems.map((problem) => problem.split(':')[0])).toEqual(['port', 'key']);
    });
  });

  describe('sources and precedence', () => {
    it('takes flags over environment over file over defaults', () => {
      const input = sources(
        { ...VALID, port: 1883, intervalMs: 2000, batchSeconds: 5 },
        {
          env: { COFFEE_IOT_PORT: '8884', COFFEE_IOT_INTERVAL_MS: '3000' },
          flags: { port: '8885' },
        },
      );
      const { config } = loadConfig(input);
      expect(config.port).toBe(8885);
      expect(config.intervalMs).toBe(3000);
      expect(config.batchSeconds).toBe(5);
      expect(config.keepAliveSeconds).toBe(30);
    });

    it('merges nested keys from the environment into the file’s objects', () => {
      const input = sources(
        { ...VALID, spool: { maxReadings: 10 } },
        {
          env: {
            COFFEE_IOT_SPOOL_MAX_BYTES: '1048576',
            COFFEE_IOT_SENSORS_TEMPERATURE_COMPENSATION_ENABLED: 'off',
          },
        },
      );
      const { config } = loadConfig(input);
      expect(config.spool).toEqual({ maxReadings: 10, maxBytes: 1_048_576, maxAgeHours: 168 });
      expect(config.sensors.temperatureCompensation).toEqual({ enabled: false, factor: 1.5 });
    });

    it('runs from environment alone when the default file is missing', () => {
      const { config } = loadConfig({
        env: {
          COFFEE_IOT_THING_NAME: 'pi',
          COFFEE_IOT_ENDPOINT: 'localhost',
          COFFEE_IOT_CERT: '/etc/coffee-iot/cert.pem',
          COFFEE_IOT_KEY: '/etc/coffee-iot/key.pem',
          COFFEE_IOT_ROOT_CA: '/etc/coffee-iot/ca.pem',
          COFFEE_IOT_MOCK: 'true',
          COFFEE_IOT_MOCK_SEED: '42',
        },
        fs: fakeFs(PEM),
      });
      expect(config).toMatchObject({ thingName: 'pi', endpoint: 'localhost', mock: true, mockSeed: 42 });
    });

    it('mentions the missing default file only when required keys are then missing', () => {
      const problems = problemsOf({ env: { COFFEE_IOT_THING_NAME: 'pi' }, fs: fakeFs(PEM) });
      expect(problems[0]).toBe(
        'config file /etc/coffee-iot/agent.json: not found (create it or pass --config FILE)',
      );
      expect(problems.slice(1).map((problem) => problem.split(':')[0])).toEqual([
        'endpoint',
        'cert',
        'key',
        'rootCa',
      ]);
    });

    it('reads the file named by COFFEE_IOT_CONFIG, and --config wins over it', () => {
      const fs = fakeFs({
        ...PEM,
        '/a.json': { text: JSON.stringify({ ...VALID, port: 1 }) },
        '/b.json': { text: JSON.stringify({ ...VALID, port: 2 }) },
      });
      expect(loadConfig({ env: { COFFEE_IOT_CONFIG: '/a.json' }, fs }).config.port).toBe(1);
      expect(
        loadConfig({ configPath: '/b.json', env: { COFFEE_IOT_CONFIG: '/a.json' }, fs }).config.port,
      ).toBe(2);
    });

    it('resolves relative paths in the file against the file, and from flags against the cwd', () => {
      const fs = fakeFs({
        '/srv/pi/agent.json': {
          text: JSON.stringify({ ...VALID, cert: 'certs/cert.pem', stateDir: 'state' }),
        },
        '/srv/pi/certs/cert.pem': {},
        '/home/pi/key.pem': {},
        '/etc/coffee-iot/ca.pem': {},
      });
      const { config } = loadConfig({
        configPath: '/srv/pi/agent.json',
        env: {},
        flags: { key: 'key.pem' },
        fs,
        cwd: '/home/pi',
      });
      expect(config).toMatchObject({
        cert: '/srv/pi/certs/cert.pem',
        key: '/home/pi/key.pem',
        stateDir: '/srv/pi/state',
      });
    });

    it('takes --mock as a boolean flag', () => {
      expect(loadConfig(sources(VALID, { flags: { mock: true } })).config.mock).toBe(true);
    });
  });
});
