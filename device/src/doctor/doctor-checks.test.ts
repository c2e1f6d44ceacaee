import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IotCredentialsError } from '../credentials/credentials-errors.js';
import type { CheckResult } from './check-result.js';
import { checkCamera } from './checks/camera.js';
import { checkCertificate } from './checks/certificate.js';
import { checkClockSync } from './checks/clock-sync.js';
import { checkCredentialProvider } from './checks/credential-provider.js';
import { checkEndpointDns, checkTlsHandshake } from './checks/endpoint.js';
import { checkGpio } from './checks/gpio.js';
import { checkNativeModules } from './checks/native-modules.js';
import { checkNodeVersion } from './checks/node-version.js';
import { checkSenseHatI2c } from './checks/sense-hat-i2c.js';
import { checkStateDir } from './checks/state-dir.js';
import {
  errno,
  FAKE_PATHS,
  type FakeMachine,
  fakeDoctorPorts,
  fixturePems,
  healthyMachine,
} from './fake-doctor-ports.js';

const DAY = 86_400_000;

function machineWith(change: (machine: FakeMachine) => void): FakeMachine {
  const machine = healthyMachine();
  change(machine);
  return machine;
}

const byName = (results: CheckResult[], name: string) => results.find((result) => result.name === name);

describe('doctor: node version', () => {
  it.each([
    ['24.11.1', 'ok'],
    ['22.12.0', 'ok'],
    ['20.11.0', 'warn'],
    ['20.10.0', 'fail'],
    ['18.19.1', 'fail'],
  ])('Node %s is %s', (version, status) => {
    const result = checkNodeVersion(version);
    expect(result.status).toBe(status);
    if (status !== 'ok') expect(result.fix).toMatch(/install Node 24/);
  });

  it('says Node 20 is end-of-life', () => {
    expect(checkNodeVersion('20.19.0').detail).toMatch(/end-of-life/);
  });
});

describe('doctor: native modules', () => {
  const check = (machine: FakeMachine, options: Partial<Parameters<typeof checkNativeModules>[1]> = {}) =>
    checkNativeModules(fakeDoctorPorts(machine).ports.loadModule, {
      mock: false,
      transport: 'auto',
      arch: machine.arch,
      ...options,
    });

  it('passes when every module loads', async () => {
    const results = await check(healthyMachine());
    expect(results.map((result) => result.name)).toEqual([
      'module better-sqlite3',
      'module aws-crt',
      'module node-sense-hat',
      'module nodeimu',
      'module sense-hat-led',
      'module onoff',
    ]);
    expect(results.every((result) => result.status === 'ok')).toBe(true);
  });

  it('fails on a better-sqlite3 built for another machine, naming it and the tarball', async () => {
    const machine = machineWith((m) =>
      m.brokenModules.set(
        'better-sqlite3',
        errno(
          'ERR_DLOPEN_FAILED',
          '/opt/coffee-iot/agent/node_modules/better-sqlite3/build/Release/better_sqlite3.node: wrong ELF class: ELFCLASS32',
        ),
      ),
    );
    const result = byName(await check(machine), 'module better-sqlite3');
    expect(result).toMatchObject({ status: 'fail', detail: expect.stringMatching(/wrong ELF class/) });
    expect(result?.fix).toMatch(/release tarball for linux-arm64/);
  });

  it('names the armv7l tarball on a 32-bit Pi, whose Node calls itself arm', async () => {
    const machine = machineWith((m) => {
      m.arch = 'arm';
      m.brokenModules.set('better-sqlite3', errno('MODULE_NOT_FOUND', "Cannot find module 'better-sqlite3'"));
    });
    const result = byName(await check(machine, { transport: 'mqtt.js' }), 'module better-sqlite3');
    expect(result?.fix).toContain('coffee-iot-agent-VERSION-linux-armv7l.tar.gz');
  });

  it('fails on a hardware module npm left out, and only warns when it loads but finds no HAT', async () => {
    const machine = machineWith((m) => {
      m.brokenModules.set(
        'nodeimu',
        errno('MODULE_NOT_FOUND', "Cannot find module './out/NodeIMU'\nRequire stack:\n- x"),
      );
      m.brokenModules.set('sense-hat-led', new Error('Cannot detect RPi-Sense FB device'));
    });
    const results = await check(machine);
    expect(byName(results, 'module nodeimu')).toMatchObject({
      status: 'fail',
      detail: "missing from the install or cannot load here: Cannot find module './out/NodeIMU'",
    });
    expect(byName(results, 'module sense-hat-led')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/Cannot detect RPi-Sense FB device/),
    });
  });

  it('names the native module whose build npm skipped, not the paths bindings tried', async () => {
    const machine = machineWith((m) =>
      m.brokenModules.set(
        'onoff',
        new Error(
          'Could not locate the bindings file. Tried:\n → /opt/coffee-iot/agent/node_modules/epoll/build/epoll.node\n → /opt/coffee-iot/agent/node_modules/epoll/build/Debug/epoll.node',
        ),
      ),
    );
    expect(byName(await check(machine), 'module onoff')?.detail).toBe(
      'missing from the install or cannot load here: its native module epoll was never built (no epoll.node in the install)',
    );
  });

  it('warns when aws-crt cannot load under auto (MQTT.js takes over) and fails when it was asked for', async () => {
    const machine = machineWith((m) =>
      m.brokenModules.set('aws-crt', errno('ERR_DLOPEN_FAILED', 'x.node: invalid ELF header')),
    );
    expect(byName(await check(machine), 'module aws-crt')?.status).toBe('warn');
    expect(byName(await check(machine, { transport: 'aws-crt' }), 'module aws-crt')?.status).toBe('fail');
  });

  it('does not expect aws-crt on armv7l, unless it is configured', async () => {
    const machine = machineWith((m) => {
      m.arch = 'arm';
      m.brokenModules.set('aws-crt', errno('ERR_MODULE_NOT_FOUND'));
    });
    expect(byName(await check(machine), 'module aws-crt')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/not used on arm/),
    });
    expect(byName(await check(machine, { transport: 'aws-crt' }), 'module aws-crt')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/auto/),
    });
  });

  it('leaves the hardware modules alone in mock mode', async () => {
    const machine = machineWith((m) => m.brokenModules.set('node-sense-hat', errno('ERR_MODULE_NOT_FOUND')));
    const results = await check(machine, { mock: true });
    expect(byName(results, 'module node-sense-hat')).toBeUndefined();
    expect(byName(results, 'hardware modules')?.status).toBe('ok');
  });
});

describe('doctor: I2C and the Sense HAT', () => {
  const check = (machine: FakeMachine) => {
    const { ports } = fakeDoctorPorts(machine);
    return checkSenseHatI2c(ports.fs, ports.i2cProbe);
  };

  it('lists the address each sensor answered on', async () => {
    const results = await check(healthyMachine());
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(byName(results, 'Sense HAT')?.detail).toBe(
      'answering: LSM9DS1 magnetometer 0x1c, LSM9DS1 accelerometer/gyroscope 0x6a, LPS25H pressure 0x5c, HTS221 humidity 0x5f',
    );
  });

  it('accepts the alternative LSM9DS1 addresses', async () => {
    const machine = machineWith((m) => {
      m.i2c = new Map([
        [0x1e, 'answered'],
        [0x6b, 'answered'],
        [0x5c, 'answered'],
        [0x5f, 'answered'],
      ]);
    });
    expect(byName(await check(machine), 'Sense HAT')?.detail).toMatch(/magnetometer 0x1e.*gyroscope 0x6b/);
  });

  it('fails with raspi-config when /dev/i2c-1 is missing', async () => {
    const machine = machineWith((m) => m.files.delete('/dev/i2c-1'));
    expect(await check(machine)).toEqual([
      expect.objectContaining({
        name: 'I2C bus',
        status: 'fail',
        fix: expect.stringMatching(/raspi-config/),
      }),
    ]);
  });

  it('fails with the i2c group when the bus cannot be opened (EACCES)', async () => {
    const machine = machineWith((m) => {
      m.i2c = errno('EACCES', "EACCES: permission denied, open '/dev/i2c-1'");
    });
    expect(byName(await check(machine), 'Sense HAT')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/i2c group/),
    });
  });

  it('fails with "seat the HAT" when nothing answers', async () => {
    const machine = machineWith((m) => {
      m.i2c = new Map();
    });
    expect(byName(await check(machine), 'Sense HAT')).toMatchObject({
      status: 'fail',
      detail: 'no Sense HAT sensor answers on I2C bus 1',
      fix: expect.stringMatching(/seat the HAT/),
    });
  });

  it('names the sensor that does not answer', async () => {
    const machine = machineWith((m) => {
      (m.i2c as Map<number, string>).delete(0x5c);
    });
    expect(byName(await check(machine), 'Sense HAT')).toMatchObject({
      status: 'fail',
      detail: 'not answering: LPS25H pressure (0x5c)',
    });
  });

  it('warns, pointing at the install, when the probe module itself is missing', async () => {
    const machine = machineWith((m) => {
      m.i2c = new Error('Could not locate the bindings file. Tried:\n → /x/ioctl.node');
    });
    expect(byName(await check(machine), 'Sense HAT')).toMatchObject({
      status: 'warn',
      fix: expect.stringMatching(/reinstall/),
    });
  });
});

describe('doctor: camera', () => {
  const check = (machine: FakeMachine) => checkCamera(fakeDoctorPorts(machine).ports.run);

  it('names the camera rpicam-still lists', async () => {
    expect(await check(healthyMachine())).toMatchObject({ status: 'ok', detail: 'rpicam-still: imx708' });
  });

  it('fails with the ribbon cable when no camera is listed', async () => {
    const machine = machineWith((m) =>
      m.commands.set('rpicam-still --list-cameras', {
        code: 0,
        stdout: '',
        stderr: 'No cameras available!\n',
      }),
    );
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      detail: 'rpicam-still lists no camera (No cameras available!)',
      fix: expect.stringMatching(/ribbon cable/),
    });
  });

  it('falls back to libcamera-still (Bullseye)', async () => {
    const machine = machineWith((m) => {
      m.commands.clear();
      m.commands.set('libcamera-still --list-cameras', {
        code: 0,
        stdout: '0 : ov5647 [2592x1944]\n',
        stderr: '',
      });
    });
    expect(await check(machine)).toMatchObject({ status: 'ok', detail: 'libcamera-still: ov5647' });
  });

  it('fails with apt install when neither program is installed', async () => {
    const machine = machineWith((m) => m.commands.clear());
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/apt install rpicam-apps/),
    });
  });
});

describe('doctor: GPIO', () => {
  const check = (machine: FakeMachine, pin: number | undefined) => {
    const { ports } = fakeDoctorPorts(machine);
    return checkGpio(ports.fs, ports.mapGpioLine, pin);
  };

  it('maps the button pin to its line', async () => {
    expect(byName(await check(healthyMachine(), 17), 'button line')).toMatchObject({
      status: 'ok',
      detail: 'BCM 17 is sysfs GPIO 529 on pinctrl-bcm2711',
    });
  });

  it('fails without /dev/gpiochip0', async () => {
    const machine = machineWith((m) => m.files.delete('/dev/gpiochip0'));
    expect(byName(await check(machine, 17), 'GPIO chip')?.status).toBe('fail');
  });

  it('fails on a pin that does not map', async () => {
    expect(byName(await check(healthyMachine(), 60), 'button line')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/BCM 60: BCM pin 60 is out of range/),
    });
  });

  it('is not checked without a button pin', async () => {
    expect(
      await check(
        machineWith((m) => m.files.delete('/dev/gpiochip0')),
        undefined,
      ),
    ).toEqual([expect.objectContaining({ status: 'ok', detail: 'not used: button.pin is unset' })]);
  });
});

describe('doctor: clock', () => {
  const check = (machine: FakeMachine) => {
    const { ports } = fakeDoctorPorts(machine);
    return checkClockSync(ports.fs, ports.run);
  };
  const noFlag = (m: FakeMachine) => m.files.delete('/run/systemd/timesync/synchronized');
  const timedatectl = 'timedatectl show -p NTPSynchronized --value';

  it('is synchronised when timesyncd says so', async () => {
    expect((await check(healthyMachine())).status).toBe('ok');
  });

  it('asks timedatectl when the flag file is absent', async () => {
    const yes = machineWith((m) => {
      noFlag(m);
      m.commands.set(timedatectl, { code: 0, stdout: 'yes\n', stderr: '' });
    });
    expect(await check(yes)).toMatchObject({ status: 'ok', detail: 'synchronised (timedatectl)' });
    const no = machineWith((m) => {
      noFlag(m);
      m.commands.set(timedatectl, { code: 0, stdout: 'no\n', stderr: '' });
    });
    expect(await check(no)).toMatchObject({ status: 'fail', fix: expect.stringMatching(/set-ntp true/) });
  });

  it('keeps to one line when timedatectl cannot answer (no systemd)', async () => {
    const machine = machineWith((m) => {
      noFlag(m);
      m.commands.set(timedatectl, {
        code: 1,
        stdout: '',
        stderr:
          "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n",
      });
    });
    const result = await check(machine);
    expect(result.status).toBe('warn');
    expect(result.detail).not.toContain('\n');
  });

  it('warns when it cannot tell', async () => {
    expect(await check(machineWith(noFlag))).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/timedatectl is not installed/),
    });
  });
});

describe('doctor: certificate', () => {
  const pems = fixturePems();
  const cert = new X509Certificate(pems.cert);
  const validFrom = Date.parse(cert.validFrom);
  const validTo = Date.parse(cert.validTo);
  const check = (machine: FakeMachine) =>
    checkCertificate(fakeDoctorPorts(machine).ports.fs, FAKE_PATHS, machine.nowMs);

  it('reads, matches and dates the certificate', async () => {
    const machine = healthyMachine();
    const daysLeft = Math.floor((validTo - machine.nowMs) / DAY);
    expect(await check(machine)).toMatchObject({
      status: 'ok',
      detail: `CN=coffee-pi-01, key matches, expires ${new Date(validTo).toISOString().slice(0, 10)} (${daysLeft} days left)`,
    });
  });

  it("fails on a key the agent's user cannot read", async () => {
    const machine = machineWith((m) =>
      m.files.set(FAKE_PATHS.key, errno('EACCES', 'EACCES: permission denied')),
    );
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      detail: `cannot read private key ${FAKE_PATHS.key}: EACCES`,
      fix: expect.stringMatching(/sudo -u coffee-iot/),
    });
  });

  it('fails on a key that belongs to another certificate', async () => {
    const machine = machineWith((m) => m.files.set(FAKE_PATHS.key, pems.otherKey));
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/does not belong to the certificate/),
    });
  });

  it('fails on a file that is not a certificate', async () => {
    const machine = machineWith((m) => m.files.set(FAKE_PATHS.cert, Buffer.from('not a certificate')));
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/is not a PEM certificate/),
    });
  });

  it('warns with the days left under 30 days, and fails once expired', async () => {
    expect(await check(machineWith((m) => (m.nowMs = validTo - 10 * DAY - 1000)))).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/\(10 days left\)$/),
    });
    expect(await check(machineWith((m) => (m.nowMs = validTo + DAY)))).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/expired on/),
    });
  });

  it('fails, pointing at the clock, before the certificate is valid', async () => {
    expect(await check(machineWith((m) => (m.nowMs = validFrom - 365 * DAY)))).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/clock/),
    });
  });
});

describe('doctor: endpoint and TLS handshake', () => {
  const target = { endpoint: 'broker.example', port: 8883, ...FAKE_PATHS };

  it('resolves the endpoint', async () => {
    expect(await checkEndpointDns(fakeDoctorPorts().ports.lookup, 'broker.example')).toMatchObject({
      status: 'ok',
      detail: 'broker.example resolves to 192.0.2.10',
    });
  });

  it('fails on a name that does not resolve, and on DNS that does not answer', async () => {
    const { lookup } = fakeDoctorPorts().ports;
    expect(await checkEndpointDns(lookup, 'typo.example')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/describe-endpoint/),
    });
    const machine = machineWith((m) => m.dns.set('broker.example', errno('EAI_AGAIN')));
    expect(await checkEndpointDns(fakeDoctorPorts(machine).ports.lookup, 'broker.example')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/resolv\.conf/),
    });
  });

  it('handshakes with the configured files and sends them, nothing else', async () => {
    const { ports, tlsRequests } = fakeDoctorPorts();
    expect(await checkTlsHandshake(ports.fs, ports.tlsConnect, target)).toMatchObject({
      status: 'ok',
      detail: 'TLSv1.3 with the client certificate to broker.example:8883',
    });
    expect(tlsRequests).toEqual([
      {
        host: 'broker.example',
        port: 8883,
        cert: fixturePems().cert,
        key: fixturePems().key,
        ca: fixturePems().ca,
      },
    ]);
  });

  it.each([
    [
      'a rejected client certificate',
      errno('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca'),
      /rejected the client certificate/,
      /register and activate/,
    ],
    [
      'a closed port',
      errno('ECONNREFUSED', 'connect ECONNREFUSED 192.0.2.10:8883'),
      /nothing listens/,
      /port/,
    ],
    [
      'a server certificate from another CA',
      errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
      /not signed by/,
      /Amazon Root CA 1/,
    ],
    [
      'a connection closed right after the handshake',
      errno('ECONNRESET', 'connection closed by the server'),
      /closed the connection/,
      /register and activate/,
    ],
  ])('fails on %s', async (_what, error, detail, fix) => {
    const machine = machineWith((m) => (m.tls = error));
    const { ports } = fakeDoctorPorts(machine);
    const result = await checkTlsHandshake(ports.fs, ports.tlsConnect, target);
    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(detail);
    expect(result.fix).toMatch(fix);
  });
});

describe('doctor: state directory', () => {
  const options = { stateDir: FAKE_PATHS.stateDir, capBytes: 1280 * 1024 * 1024 };
  const check = (machine: FakeMachine) => checkStateDir(fakeDoctorPorts(machine).ports.fs, options);

  it('is writable with room for the caps', async () => {
    expect(await check(healthyMachine())).toMatchObject({
      status: 'ok',
      detail: '/var/lib/coffee-iot writable, 8192 MiB free',
    });
  });

  it('fails when not writable, and names chown', async () => {
    const machine = machineWith((m) => m.unwritable.set(FAKE_PATHS.stateDir, errno('EACCES')));
    expect(await check(machine)).toMatchObject({ status: 'fail', fix: expect.stringMatching(/chown/) });
  });

  it('fails on a read-only file system, naming the SD card', async () => {
    const machine = machineWith((m) => m.unwritable.set(FAKE_PATHS.stateDir, errno('EROFS')));
    expect(await check(machine)).toMatchObject({ status: 'fail', fix: expect.stringMatching(/read-only/) });
  });

  it('warns when it does not exist yet', async () => {
    const machine = machineWith((m) => m.unwritable.set(FAKE_PATHS.stateDir, errno('ENOENT')));
    expect((await check(machine)).status).toBe('warn');
  });

  it('fails with almost no space, and warns with less than the caps', async () => {
    expect(await check(machineWith((m) => (m.freeBytes = 10 * 1024 * 1024)))).toMatchObject({
      status: 'fail',
      detail: '/var/lib/coffee-iot writable, but only 10 MiB free',
    });
    expect((await check(machineWith((m) => (m.freeBytes = 500 * 1024 * 1024)))).status).toBe('warn');
  });
});

describe('doctor: credential provider', () => {
  const target = {
    endpoint: 'creds.example',
    roleAlias: 'coffee-photos',
    thingName: 'coffee-pi-01',
    ...FAKE_PATHS,
  };
  const check = (machine: FakeMachine) =>
    checkCredentialProvider(fakeDoctorPorts(machine).ports.fetchCredentials, target);

  it('reports the HTTP status of the role alias URL', async () => {
    expect(await check(healthyMachine())).toMatchObject({
      status: 'ok',
      detail: 'HTTP 200 from creds.example/role-aliases/coffee-photos/credentials',
    });
  });

  it('fails on 403 with the policy and the thing attachment', async () => {
    const machine = machineWith(
      (m) => (m.credentials = { status: 403, body: '{"message":"Access Denied"}' }),
    );
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      detail: 'HTTP 403 from creds.example/role-aliases/coffee-photos/credentials: Access Denied',
      fix: expect.stringMatching(/iot:AssumeRoleWithCertificate/),
    });
  });

  it('fails on 404 naming the role alias', async () => {
    const machine = machineWith(
      (m) => (m.credentials = { status: 404, body: '{"message":"Role alias does not exist"}' }),
    );
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/credentials\.roleAlias/),
    });
  });

  it('fails with the fetcher’s own explanation when the endpoint is unreachable', async () => {
    const machine = machineWith(
      (m) =>
        (m.credentials = new IotCredentialsError(
          'credential provider creds.example unreachable (ECONNREFUSED)',
          { failure: 'network' },
        )),
    );
    expect(await check(machine)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/unreachable/),
    });
  });
});
