import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXIT_DRIVER_MISSING,
  EXIT_FAILURE,
  EXIT_HARDWARE_ABSENT,
  EXIT_USAGE,
} from '../../device/src/exit-codes.js';

const UNIT_PATH = fileURLToPath(new URL('../../device/systemd/coffee-iot-agent.service', import.meta.url));
const INSTALLER_PATH = fileURLToPath(new URL('../../device/scripts/install-pi.sh', import.meta.url));
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const LAUNCHER_PATH = fileURLToPath(new URL('../../device/scripts/coffee-iot-launch.sh', import.meta.url));
const INSTALLED_LAUNCHER = '/usr/local/lib/coffee-iot/coffee-iot-launch';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `Key=value` lines of the unit, repeated keys kept in order. */
function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!match?.[1] || match[2] === undefined) continue;
    map.set(match[1], [...(map.get(match[1]) ?? []), match[2]]);
  }
  return map;
}

describe('coffee-iot-agent.service', () => {
  let unit: string;
  let dir: string;

  beforeAll(async () => {
    unit = await readFile(UNIT_PATH, 'utf8');
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-unit-'));
    await writeFile(join(dir, 'coffee-iot-agent.mjs'), '// stand-in for the installed bundle\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * verify checks that ExecStart's binary exists and is executable, so the copy points at the
   * launcher in the repository; every other line is the shipped unit.
   */
  async function verify(text: string): Promise<Run> {
    const path = join(dir, 'coffee-iot-agent.service');
    const local = text.replace(`ExecStart=${INSTALLED_LAUNCHER} `, `ExecStart=${LAUNCHER_PATH} `);
    expect(local).not.toBe(text);
    await writeFile(path, local);
    return run(SYSTEMD_ANALYZE, ['verify', '--man=no', path]);
  }

  it('passes systemd-analyze verify without a single diagnostic', async () => {
    const result = await verify(unit);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('starts node with the node flags it hands the launcher (node refuses an unknown flag and the agent would never start)', async () => {
    const flags = directives(unit)
      .get('Environment')
      ?.find((value) => value.startsWith('COFFEE_IOT_NODE_FLAGS='))
      ?.slice('COFFEE_IOT_NODE_FLAGS='.length);
    expect(flags).toBeDefined();
    const result = await run(process.execPath, [...(flags as string).split(' '), '-e', 'process.exit(0)']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const refused = await run(process.execPath, ['--no-such-v8-flag', '-e', 'process.exit(0)']);
    expect(refused.code).not.toBe(0);
  });

  it('would be caught by that check if it had a bad directive (the check can fail)', async () => {
    const broken = unit.replace('Restart=always', 'Restart=always\nRestartOften=yes\nProtectSystem=maybe');
    const result = await verify(broken);
    expect(result.stderr).toMatch(/Unknown key name 'RestartOften'|Unknown key 'RestartOften'/);
    expect(result.stderr).toMatch(/protect system value, ignoring: maybe/i);
  });

  it('keeps its exposure at or below 3.0 in systemd-analyze security', async () => {
    const path = join(dir, 'coffee-iot-agent.service');
    await verify(unit);
    const result = await run(SYSTEMD_ANALYZE, [
      'security',
      '--offline=true',
      '--threshold=30',
      '--no-pager',
      path,
    ]);
    const exposure = /Overall exposure level for coffee-iot-agent\.service: (\d+\.\d+)/.exec(
      result.stdout,
    )?.[1];
    expect(Number(exposure)).toBeLessThanOrEqual(3.0);
    expect(result.code).toBe(0);
  });

  it('runs as the coffee-iot user with the hardware groups and restarts always', () => {
    const d = directives(unit);
    expect(d.get('User')).toEqual(['coffee-iot']);
    expect(d.get('Group')).toEqual(['coffee-iot']);
    expect(d.get('SupplementaryGroups')?.[0]?.split(' ').sort()).toEqual([
      'gpio',
      'i2c',
      'input',
      'systemd-journal',
      'video',
    ]);
    expect(d.get('Restart')).toEqual(['always']);
    expect(d.get('RestartPreventExitStatus')).toEqual([`${EXIT_USAGE} ${EXIT_DRIVER_MISSING}`]);
    expect(d.get('KillSignal')).toEqual(['SIGTERM']);
    expect(d.get('TimeoutStopSec')).toEqual(['10']);
    expect(d.get('StateDirectory')).toEqual(['coffee-iot']);
    expect(d.get('ConfigurationDirectory')).toEqual(['coffee-iot']);
    expect(d.get('Environment')).toContain('NODE_ENV=production');
    expect(d.get('StandardOutput')).toEqual(['journal']);
  });

  it('does not restart on a configuration or install error, and rate-limits every other failure', () => {
    const d = directives(unit);
    const prevented = (d.get('RestartPreventExitStatus')?.[0] ?? '').split(' ').map(Number);
    // Restarting cannot fix a bad agent.json or a driver module missing from the install.
    expect(prevented).toEqual(expect.arrayContaining([EXIT_USAGE, EXIT_DRIVER_MISSING]));
    // A HAT absent at boot may be a device node that appears a moment later: retried, within the limit.
    expect(prevented).not.toContain(EXIT_HARDWARE_ABSENT);
    expect(prevented).not.toContain(EXIT_FAILURE);
    const interval = Number(d.get('StartLimitIntervalSec')?.[0]);
    const burst = Number(d.get('StartLimitBurst')?.[0]);
    const restartSec = Number(d.get('RestartSec')?.[0]);
    expect(interval).toBeGreaterThan(0);
    expect(burst).toBeGreaterThanOrEqual(3);
    // A crash loop must trip the limit: `burst` restarts fit inside the interval.
    expect(burst * restartSec).toBeLessThan(interval);
    // The limit belongs to [Unit]; in [Service] systemd 252 would ignore it.
    const unitSection = unit.slice(unit.indexOf('[Unit]'), unit.indexOf('[Service]'));
    expect(unitSection).toMatch(/^StartLimitIntervalSec=/m);
    expect(unitSection).toMatch(/^StartLimitBurst=/m);
  });

  it('is hardened, while leaving the Sense HAT, GPIO and camera devices reachable', () => {
    const d = directives(unit);
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['ProtectKernelTunables', 'yes'],
      ['ProtectControlGroups', 'yes'],
      ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
      ['LockPersonality', 'yes'],
      ['RestrictRealtime', 'yes'],
      ['DevicePolicy', 'closed'],
    ] as const) {
      expect(d.get(key), key).toEqual([value]);
    }
    expect(d.has('PrivateDevices')).toBe(false);
    const devices = (d.get('DeviceAllow') ?? []).map((entry) => entry.split(' ')[0]);
    expect(devices).toEqual(
      expect.arrayContaining(['char-i2c', 'char-fb', 'char-input', 'char-video4linux']),
    );
    expect(d.get('ReadWritePaths')?.[0]).toContain('/sys/class/gpio');
  });

  it('lets the joystick be read but not written (the agent opens /dev/input/eventN O_RDONLY)', () => {
    expect(directives(unit).get('DeviceAllow')).toContain('char-input r');
  });

  it('names the same hardware groups the install script adds the user to', async () => {
    const installer = await readFile(INSTALLER_PATH, 'utf8');
    const groups = /^readonly HARDWARE_GROUPS=\(([^)]*)\)$/m.exec(installer)?.[1]?.split(' ').sort();
    expect(groups).toEqual(directives(unit).get('SupplementaryGroups')?.[0]?.split(' ').sort());
  });

  it('starts the agent through the launcher the install script installs, with the default config path', async () => {
    const installer = await readFile(INSTALLER_PATH, 'utf8');
    expect(installer).toContain(`readonly LAUNCHER=${INSTALLED_LAUNCHER}`);
    expect(installer).toContain('readonly APP_ROOT=/opt/coffee-iot');
    expect(installer).toContain('readonly ENTRY=coffee-iot-agent.mjs');
    expect(directives(unit).get('ExecStart')).toEqual([
      `${INSTALLED_LAUNCHER} /usr/bin/node --config /etc/coffee-iot/agent.json`,
    ]);
    const launcher = await readFile(LAUNCHER_PATH, 'utf8');
    expect(launcher).toContain('COFFEE_IOT_ROOT:-/opt/coffee-iot}');
    expect(launcher).toContain('entry=coffee-iot-agent.mjs');
  });

  it('lets the update job write the releases, and stops the agent through the launcher', () => {
    const d = directives(unit);
    expect(d.get('ReadWritePaths')).toContain('/opt/coffee-iot');
    // SIGTERM to the launcher only, which passes it on to the agent it waits for.
    expect(d.get('KillMode')).toEqual(['mixed']);
  });
});
