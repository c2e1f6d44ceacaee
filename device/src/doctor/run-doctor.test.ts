import { describe, expect, it } from 'vitest';
import type { ConfigFs } from '../config/config-fs.js';
import type { ConfigSources } from '../config/load-config.js';
import { runDoctorCommand } from './doctor-command.js';
import { errno, FAKE_PATHS, type FakeMachine, fakeDoctorPorts, healthyMachine } from './fake-doctor-ports.js';
import { renderDoctorJson, renderDoctorTable } from './render-doctor.js';
import { doctorExitCode, runDoctor } from './run-doctor.js';

const CONFIG_PATH = '/etc/coffee-iot/agent.json';

const GOOD_CONFIG = {
  thingName: 'coffee-pi-01',
  endpoint: 'broker.example',
  cert: FAKE_PATHS.cert,
  key: FAKE_PATHS.key,
  rootCa: FAKE_PATHS.rootCa,
  stateDir: FAKE_PATHS.stateDir,
  button: { pin: 17 },
};

/** The configuration loader's file system, backed by the same fake machine as the probes. */
function configFs(machine: FakeMachine, document: unknown): ConfigFs {
  const entry = (path: string) => {
    const found = machine.files.get(path);
    if (found === undefined) throw errno('ENOENT');
    return found;
  };
  return {
    readText: (path) => {
      if (path !== CONFIG_PATH) throw errno('ENOENT');
      return typeof document === 'string' ? document : JSON.stringify(document);
    },
    stat: (path) => {
      entry(path);
      return { isFile: () => true, mode: 0o100600 };
    },
    checkReadable: (path) => {
      const found = entry(path);
      if (found instanceof Error) throw found;
    },
  };
}

function sources(
  machine: FakeMachine,
  document: unknown = GOOD_CONFIG,
  extra: Partial<ConfigSources> = {},
): ConfigSources {
  return { configPath: CONFIG_PATH, env: {}, fs: configFs(machine, document), cwd: '/', ...extra };
}

async function doctor(
  machine: FakeMachine,
  document: unknown = GOOD_CONFIG,
  extra: Partial<ConfigSources> = {},
) {
  return runDoctor(sources(machine, document, extra), fakeDoctorPorts(machine).ports);
}

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

describe('coffee-iot-agent doctor', () => {
  it('passes every check on a healthy Pi, in a fixed order', async () => {
    const results = await doctor(healthyMachine());
    expect(results.filter((result) => result.status !== 'ok')).toEqual([]);
    expect(results.map((result) => result.name)).toEqual([
      'configuration',
      'node',
      'module better-sqlite3',
      'module aws-crt',
      'module node-sense-hat',
      'module nodeimu',
      'module sense-hat-led',
      'module onoff',
      'I2C bus',
      'Sense HAT',
      'camera',
      'GPIO chip',
      'button line',
      'clock',
      'certificate',
      'endpoint DNS',
      'TLS handshake',
      'state directory',
      'credential provider',
    ]);
    expect(doctorExitCode(results)).toBe(0);
  });

  it('still runs when the configuration is broken, with that as the first failing check', async () => {
    const results = await doctor(healthyMachine(), '{ "thingName": ');
    expect(results[0]).toMatchObject({ name: 'configuration', status: 'fail' });
    expect(results[0]?.detail).toMatch(/agent\.json/);
    // What needs no configuration is still checked; what needs it is left out and said so.
    expect(results.map((result) => result.name)).toEqual(
      expect.arrayContaining(['node', 'module better-sqlite3', 'I2C bus', 'Sense HAT', 'camera', 'clock']),
    );
    expect(results.find((result) => result.name === 'certificate')).toBeUndefined();
    expect(results[0]?.fix).toMatch(/the certificate, endpoint, TLS/);
    expect(doctorExitCode(results)).toBe(1);
  });

  it('uses a configuration whose only problem is a PEM file, and says more about the file', async () => {
    const machine = healthyMachine();
    machine.files.delete(FAKE_PATHS.key);
    const results = await doctor(machine);
    expect(results[0]).toMatchObject({
      name: 'configuration',
      status: 'fail',
      detail: expect.stringMatching(/key: file not found/),
    });
    expect(results.find((result) => result.name === 'certificate')).toMatchObject({
      status: 'fail',
      detail: `cannot read private key ${FAKE_PATHS.key}: ENOENT`,
    });
  });

  it('follows flags over the file, as run does (--mock skips the hardware)', async () => {
    const machine = healthyMachine();
    machine.files.delete('/dev/i2c-1');
    machine.commands.clear();
    const results = await doctor(machine, GOOD_CONFIG, { flags: { mock: true } });
    expect(results.filter((result) => result.status !== 'ok')).toEqual([]);
    expect(results.find((result) => result.name === 'hardware')?.detail).toMatch(/mock/);
  });

  it('skips the handshake when the endpoint does not resolve', async () => {
    const machine = healthyMachine();
    machine.dns.clear();
    const results = await doctor(machine);
    expect(results.find((result) => result.name === 'endpoint DNS')?.status).toBe('fail');
    expect(results.find((result) => result.name === 'TLS handshake')).toBeUndefined();
  });

  it('checks the credential provider only when uploads are on', async () => {
    const machine = healthyMachine();
    machine.credentials = { status: 403, body: '{"message":"Access Denied"}' };
    const off = await doctor(machine);
    expect(off.find((result) => result.name === 'credential provider')).toMatchObject({
      status: 'ok',
      detail: 'not used: upload.bucket is unset',
    });
    const on = await doctor(machine, {
      ...GOOD_CONFIG,
      upload: { bucket: 'photos' },
      credentials: { endpoint: 'creds.example', roleAlias: 'coffee-photos' },
    });
    expect(on.find((result) => result.name === 'credential provider')?.status).toBe('fail');
  });

  it('turns a check that throws into a failing line instead of crashing', async () => {
    const machine = healthyMachine();
    const { ports } = fakeDoctorPorts(machine);
    ports.fs.exists = () => {
      throw new TypeError('boom');
    };
    const results = await runDoctor(sources(machine), ports);
    expect(results.find((result) => result.name === 'Sense HAT')).toMatchObject({
      status: 'fail',
      detail: 'the check itself failed: boom',
    });
  });

  it('prints one line per check with its mark, and the fix after an arrow', () => {
    const table = renderDoctorTable([
      { name: 'node', status: 'ok', detail: 'Node 24.11.1', fix: '' },
      { name: 'clock', status: 'warn', detail: 'cannot tell', fix: 'sudo timedatectl set-ntp true' },
      { name: 'camera', status: 'fail', detail: 'no camera:\n  none listed', fix: 'check the cable' },
    ]);
    expect(table.split('\n')).toEqual([
      '✓ node    Node 24.11.1',
      '! clock   cannot tell  → sudo timedatectl set-ntp true',
      '✗ camera  no camera: none listed  → check the cable',
      '',
      '1 failed, 1 warning, 3 checks',
      '',
    ]);
  });

  it('--json prints an array of {name, status, detail, fix}', async () => {
    const results = await doctor(healthyMachine());
    const parsed = JSON.parse(renderDoctorJson(results)) as unknown[];
    expect(parsed).toHaveLength(results.length);
    for (const entry of parsed) {
      expect(Object.keys(entry as object)).toEqual(['name', 'status', 'detail', 'fix']);
    }
  });

  it('exits 0 with warnings only, and 1 when any check fails', async () => {
    const warnOnly = healthyMachine();
    warnOnly.nodeVersion = '20.19.0';
    const out = sink();
    expect(
      await runDoctorCommand({
        sources: sources(warnOnly),
        json: false,
        stdout: out,
        ports: fakeDoctorPorts(warnOnly).ports,
      }),
    ).toBe(0);
    expect(out.text).toMatch(/^! node/m);

    const failing = healthyMachine();
    failing.files.delete('/dev/i2c-1');
    const json = sink();
    expect(
      await runDoctorCommand({
        sources: sources(failing),
        json: true,
        stdout: json,
        ports: fakeDoctorPorts(failing).ports,
      }),
    ).toBe(1);
    expect(JSON.parse(json.text)).toContainEqual(
      expect.objectContaining({ name: 'I2C bus', status: 'fail' }),
    );
  });
});
