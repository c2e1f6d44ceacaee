import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The real command as npm links it; device/dist is built by the root `pretest` (tsc -b).
const BIN = fileURLToPath(new URL('../../device/bin/coffee-iot-agent.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('coffee-iot-agent with a bad configuration', () => {
  let dir: string;
  let good: Record<string, unknown>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-cli-config-'));
    for (const name of ['cert.pem', 'key.pem', 'ca.pem']) {
      await writeFile(join(dir, name), '-----BEGIN PLACEHOLDER-----\n');
      await chmod(join(dir, name), 0o600);
    }
    good = {
      thingName: 'coffee-pi-01',
      endpoint: 'localhost',
      cert: join(dir, 'cert.pem'),
      key: join(dir, 'key.pem'),
      rootCa: join(dir, 'ca.pem'),
      stateDir: join(dir, 'state'),
    };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI with only the given COFFEE_IOT_* variables, whatever the test runner has set. */
  async function agent(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('COFFEE_IOT_')),
    );
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...clean, ...env }, timeout: 15_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
        },
      );
    });
  }

  async function withFile(name: string, content: unknown): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  }

  it.each([
    ['an unknown key in the file', { colour: 'red' }, /colour: unknown key/],
    ['a misspelt nested key', { spool: { maxbytes: 1 } }, /spool\.maxbytes: unknown key/],
    ['a wrong type', { port: '8883' }, /port: must be an integer, got "8883"/],
    ['a value out of range', { intervalMs: 10 }, /intervalMs: must be >= 100, got 10/],
    ['a bad thing name', { thingName: 'coffee pi' }, /thingName: has the wrong form, got "coffee pi"/],
    ['a bad topic prefix', { topicPrefix: 'dt/#' }, /topicPrefix: must not contain MQTT wildcards/],
    [
      'a missing certificate file',
      { cert: '/nonexistent/cert.pem' },
      /cert: file not found: \/nonexistent\/cert\.pem/,
    ],
    [
      'an unknown transport',
      { transport: 'carrier-pigeon' },
      /transport: must be one of auto, aws-crt, mqtt\.js/,
    ],
  ])('exits 2 and names the key for %s', async (_kind, change, message) => {
    const path = await withFile('agent.json', { ...good, ...change });
    const result = await agent(['--config', path]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });

  it('exits 2 and names the key that is missing', async () => {
    const { thingName: _thingName, ...rest } = good;
    const result = await agent(['--config', await withFile('agent.json', rest)]);
    expect(result.stderr).toMatch(/^ {2}thingName: required but not set/m);
    expect(result.code).toBe(2);
  });

  it('exits 2 and points at the line and column of invalid JSON', async () => {
    const path = await withFile(
      'broken.json',
      '{\n  "thingName": "pi",\n  "port": 8883\n  "endpoint": "x"\n}',
    );
    const result = await agent(['--config', path]);
    expect(result.stderr).toMatch(/broken\.json: invalid JSON at line 4, column 3/);
    expect(result.code).toBe(2);
  });

  it('exits 2 for an explicitly given config file that does not exist', async () => {
    const result = await agent(['--config', join(dir, 'absent.json')]);
    expect(result.stderr).toContain(`config file ${join(dir, 'absent.json')}: file not found`);
    expect(result.code).toBe(2);
  });

  it('exits 2 and names an unknown COFFEE_IOT_ variable', async () => {
    const path = await withFile('agent.json', good);
    const result = await agent(['--config', path], { COFFEE_IOT_SPOOL_MAXBYTES: '1000000' });
    expect(result.stderr).toMatch(/COFFEE_IOT_SPOOL_MAXBYTES: unknown environment variable/);
    expect(result.code).toBe(2);
  });

  it('exits 2 for a bad environment value, naming the key and the variable', async () => {
    const path = await withFile('agent.json', good);
    const result = await agent(['--config', path], { COFFEE_IOT_PUBLISH_MAX_IN_FLIGHT: '500' });
    expect(result.stderr).toMatch(
      /publish\.maxInFlight: must be <= 100, got 500.*\(from COFFEE_IOT_PUBLISH_MAX_IN_FLIGHT\)/,
    );
    expect(result.code).toBe(2);
  });

  it('exits 2 for a bad flag value', async () => {
    const path = await withFile('agent.json', good);
    const result = await agent(['--config', path, '--log-level', 'loud']);
    expect(result.stderr).toMatch(
      /logLevel: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
    );
    expect(result.code).toBe(2);
  });

  it('reports every problem at once, one per line', async () => {
    const path = await withFile('agent.json', {
      ...good,
      port: 0,
      batchSeconds: -1,
      spool: { maxAgeHours: 0 },
    });
    const result = await agent(['--config', path], { COFFEE_IOT_NOPE: '1' });
    const problems = result.stderr.split('\n').filter((line) => line.startsWith('  '));
    expect(problems.map((line) => line.trim().split(':')[0])).toEqual([
      'COFFEE_IOT_NOPE',
      'port',
      'batchSeconds',
      'spool.maxAgeHours',
    ]);
    expect(result.code).toBe(2);
  });

  it('exits 2 on an unknown flag', async () => {
    const result = await agent(['--thingname', 'x']);
    expect(result.stderr).toMatch(/Unknown option '--thingname'/);
    expect(result.code).toBe(2);
  });

  it('prints help and exits 0', async () => {
    const result = await agent(['--help']);
    expect(result.stdout).toContain('COFFEE_IOT_THING_NAME');
    expect(result.code).toBe(0);
  });

  it('status exits 1 and says the agent is not running when there is no status file', async () => {
    const path = await withFile('agent.json', good);
    const result = await agent(['status', '--config', path]);
    expect(result.stdout).toMatch(/^agent not running/);
    expect(result.code).toBe(1);
  });
});
