import { describe, expect, it } from 'vitest';
import { remoteKeyKind } from '../remote-config/remote-keys.js';
import { ConfigError } from './config-error.js';
import type { ConfigFs } from './config-fs.js';
import { CONFIG_KEYS } from './config-keys.js';
import { type ConfigSources, loadConfig } from './load-config.js';

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

function fakeFs(files: Record<string, string>): ConfigFs {
  const find = (path: string) => {
    const text = files[path];
    if (text === undefined) throw errno('ENOENT', path);
    return text;
  };
  return {
    readText: find,
    stat: (path) => {
      find(path);
      return { isFile: () => true, mode: 0o100600 };
    },
    checkReadable: (path) => void find(path),
  };
}

const CLAIM_IMAGE = {
  endpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
  rootCa: '/etc/coffee-iot/ca.pem',
  stateDir: '/var/lib/coffee-iot',
  provisioning: {
    claimCert: 'claim/claim.pem',
    claimKey: 'claim/claim.key',
    templateName: 'coffee-iot-fleet',
  },
};
const PEM = {
  '/etc/coffee-iot/ca.pem': 'ca',
  '/etc/coffee-iot/claim/claim.pem': 'claim cert',
  '/etc/coffee-iot/claim/claim.key': 'claim key',
};

function sources(file: unknown, more: Record<string, string> = {}): ConfigSources {
  return {
    configPath: '/etc/coffee-iot/agent.json',
    env: {},
    fs: fakeFs({ ...PEM, '/etc/coffee-iot/agent.json': JSON.stringify(file), ...more }),
    cwd: '/home/pi',
    remoteOverrides: false,
  };
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

describe('agent.json with provisioning by claim', () => {
  it('needs no thingName, cert or key before the first boot, and resolves claim paths beside the file', () => {
    const { config } = loadConfig(sources(CLAIM_IMAGE));
    expect(config).toMatchObject({ thingName: '', cert: '', key: '' });
    expect(config.provisioning).toEqual({
      claimCert: '/etc/coffee-iot/claim/claim.pem',
      claimKey: '/etc/coffee-iot/claim/claim.key',
      templateName: 'coffee-iot-fleet',
      serialSource: 'auto',
      requestTimeoutMs: 30_000,
    });
  });

  it('once provisioned, takes the thing name, certificate and key from {stateDir}/identity/', () => {
    const identity = {
      '/var/lib/coffee-iot/identity/identity.json': JSON.stringify({
        thingName: 'coffee-pi-a1b2',
        certificateId: 'ab'.repeat(32),
        provisionedAt: '2026-12-07T08:00:00.000Z',
      }),
      '/var/lib/coffee-iot/identity/cert.pem': 'cert',
      '/var/lib/coffee-iot/identity/key.pem': 'key',
    };
    const { config } = loadConfig(sources(CLAIM_IMAGE, identity));
    expect(config).toMatchObject({
      thingName: 'coffee-pi-a1b2',
      cert: '/var/lib/coffee-iot/identity/cert.pem',
      key: '/var/lib/coffee-iot/identity/key.pem',
    });
  });

  it('reports a missing claim file, an incomplete claim and identity keys set beside it, all at once', () => {
    const problems = problemsOf(
      sources({
        ...CLAIM_IMAGE,
        thingName: 'coffee-pi-1',
        provisioning: { claimCert: 'claim/missing.pem', claimKey: 'claim/claim.key' },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'provisioning.templateName: required for provisioning by claim but not set',
        expect.stringMatching(/^thingName: must not be set with provisioning/),
        expect.stringMatching(
          /^provisioning\.claimCert: file not found: \/etc\/coffee-iot\/claim\/missing\.pem/,
        ),
      ]),
    );
  });

  it('still requires thingName, cert and key without provisioning', () => {
    const { provisioning: _, ...handSetUp } = CLAIM_IMAGE;
    const problems = problemsOf(sources(handSetUp));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^thingName: required but not set/),
        expect.stringMatching(/^cert: required but not set/),
        expect.stringMatching(/^key: required but not set/),
      ]),
    );
  });

  it('refuses a serial number the allow-list could never hold', () => {
    const problems = problemsOf(
      sources({ ...CLAIM_IMAGE, provisioning: { ...CLAIM_IMAGE.provisioning, serialNumber: 'a b/c' } }),
    );
    expect(problems).toEqual([expect.stringMatching(/^provisioning\.serialNumber: has the wrong form/)]);
  });
});

describe('provisioning keys and remote changes', () => {
  it('refuses every provisioning key from the config shadow and set-config jobs', () => {
    const keys = CONFIG_KEYS.filter((key) => key.path.startsWith('provisioning.')).map((key) => key.path);
    expect(keys).toHaveLength(6);
    for (const key of keys) expect(remoteKeyKind(key), key).toMatchObject({ kind: 'refused' });
  });
});
