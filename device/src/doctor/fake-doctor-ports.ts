import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CredentialHttpResponse } from '../credentials/https-credential-fetcher.js';
import type {
  CommandResult,
  DoctorPorts,
  I2cAnswer,
  TlsHandshakeRequest,
  TlsHandshakeResult,
} from './doctor-ports.js';

/** A Node errno error as the real calls throw it. */
export function errno(code: string, message = code): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** The test certificates in ./fixtures (see its README); read when asked, so dist/ never needs them. */
export function fixturePems() {
  const read = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  return {
    ca: read('ca.pem'),
    cert: read('cert.pem'),
    key: read('key.pem'),
    otherKey: read('other-key.pem'),
  };
}

/** Where the fake configuration in tests keeps its files. */
export const FAKE_PATHS = {
  cert: '/etc/coffee-iot/cert.pem',
  key: '/etc/coffee-iot/key.pem',
  rootCa: '/etc/coffee-iot/ca.pem',
  stateDir: '/var/lib/coffee-iot',
};

/**
 * A machine for the doctor to examine, healthy unless told otherwise: a Pi with the HAT seated,
 * a camera, a synchronised clock, a valid certificate, a reachable broker and a credential
 * provider that answers. Each field replaces one part with its failure.
 */
export interface FakeMachine {
  /** Paths that exist; a Buffer is the content, an Error is what reading throws. */
  files: Map<string, Buffer | Error | true>;
  /** What probeWritable throws for a directory; absent = writable. */
  unwritable: Map<string, Error>;
  freeBytes: number;
  /** `file args…` → result, or an error (code ENOENT: not installed). Unlisted: ENOENT. */
  commands: Map<string, CommandResult | Error>;
  /** Host → address, or the error lookup rejects with. */
  dns: Map<string, string | Error>;
  tls: TlsHandshakeResult | Error;
  /** I2C addresses that acknowledge, or the error opening the bus throws. */
  i2c: Map<number, I2cAnswer> | Error;
  /** Modules that fail to load, with the error; every other module loads. */
  brokenModules: Map<string, Error>;
  /** BCM pin → sysfs line; a pin not listed fails to map. */
  gpioLines: Map<number, number>;
  credentials: CredentialHttpResponse | Error;
  nowMs: number;
  nodeVersion: string;
  arch: string;
}

export function healthyMachine(): FakeMachine {
  const pems = fixturePems();
  const validFrom = Date.parse(new X509Certificate(pems.cert).validFrom);
  return {
    files: new Map<string, Buffer | Error | true>([
      [FAKE_PATHS.cert, pems.cert],
      [FAKE_PATHS.key, pems.key],
      [FAKE_PATHS.rootCa, pems.ca],
      ['/dev/i2c-1', true],
      ['/dev/gpiochip0', true],
      ['/run/systemd/timesync/synchronized', true],
    ]),
    unwritable: new Map(),
    freeBytes: 8 * 1024 ** 3,
    commands: new Map([
      [
        'rpicam-still --list-cameras',
        {
          code: 0,
          stdout:
            'Available cameras\n-----------------\n0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)\n',
          stderr: '',
        },
      ],
    ]),
    dns: new Map([['broker.example', '192.0.2.10']]),
    tls: { protocol: 'TLSv1.3' },
    i2c: new Map<number, I2cAnswer>([
      [0x1c, 'answered'],
      [0x6a, 'answered'],
      [0x5c, 'busy'],
      [0x5f, 'answered'],
    ]),
    brokenModules: new Map(),
    gpioLines: new Map([[17, 529]]),
    credentials: { status: 200, body: '{"credentials":{}}' },
    // A year into the certificate's ten.
    nowMs: validFrom + 365 * 86_400_000,
    nodeVersion: '24.11.1',
    arch: 'arm64',
  };
}

export interface FakeDoctor {
  ports: DoctorPorts;
  /** What the TLS connector and credential fetcher were asked, to check nothing else was sent. */
  tlsRequests: TlsHandshakeRequest[];
}

export function fakeDoctorPorts(machine: FakeMachine = healthyMachine()): FakeDoctor {
  const tlsRequests: TlsHandshakeRequest[] = [];
  const fileEntry = (path: string) => machine.files.get(path);
  const ports: DoctorPorts = {
    fs: {
      exists: async (path) => machine.files.has(path),
      readFile: async (path) => {
        const entry = fileEntry(path);
        if (entry === undefined) throw errno('ENOENT', `ENOENT: no such file or directory, open '${path}'`);
        if (entry instanceof Error) throw entry;
        if (entry === true) return Buffer.alloc(0);
        return entry;
      },
      probeWritable: async (dir) => {
        const error = machine.unwritable.get(dir);
        if (error) throw error;
      },
      availableBytes: async () => machine.freeBytes,
    },
    run: async (file, args) => {
      const outcome = machine.commands.get([file, ...args].join(' '));
      if (outcome === undefined) throw errno('ENOENT', `spawn ${file} ENOENT`);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    lookup: async (host) => {
      const answer = machine.dns.get(host);
      if (answer === undefined) throw errno('ENOTFOUND', `getaddrinfo ENOTFOUND ${host}`);
      if (answer instanceof Error) throw answer;
      return { address: answer, family: 4 };
    },
    tlsConnect: async (request) => {
      tlsRequests.push(request);
      if (machine.tls instanceof Error) throw machine.tls;
      return machine.tls;
    },
    i2cProbe: async (_bus, address) => {
      if (machine.i2c instanceof Error) throw machine.i2c;
      return machine.i2c.get(address) ?? 'no-answer';
    },
    loadModule: async (name) => {
      const error = machine.brokenModules.get(name);
      if (error) throw error;
      return {};
    },
    mapGpioLine: async (pin) => {
      const sysfs = machine.gpioLines.get(pin);
      if (sysfs === undefined) throw new Error(`BCM pin ${pin} is out of range`);
      return { sysfs, chip: 'pinctrl-bcm2711' };
    },
    fetchCredentials: async () => {
      if (machine.credentials instanceof Error) throw machine.credentials;
      return machine.credentials;
    },
    now: () => machine.nowMs,
    nodeVersion: machine.nodeVersion,
    arch: machine.arch,
  };
  return { ports, tlsRequests };
}
