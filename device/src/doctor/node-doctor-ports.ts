import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { access, closeSync, openSync, readSync } from 'node:fs';
import { readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { bcmToSysfsGpio } from '../button/gpio-map.js';
import { httpsCredentialFetcher } from '../credentials/https-credential-fetcher.js';
import type {
  CommandRunner,
  DnsLookup,
  DoctorFs,
  DoctorPorts,
  I2cProbe,
  ModuleLoader,
  TlsConnector,
} from './doctor-ports.js';

/** The real probes. Only this file touches the file system, programs, the network and the bus. */

const COMMAND_TIMEOUT_MS = 10_000;
const DNS_TIMEOUT_MS = 5_000;
const TLS_TIMEOUT_MS = 10_000;
/**
 * With TLS 1.3 the server verifies the client certificate after the client's side of the
 * handshake is done, so a rejection arrives as an alert just after 'secureConnect'. Waiting this
 * long for it is what makes "handshake succeeded" mean "the certificate was accepted".
 */
export const TLS_SETTLE_MS = 1000;
/** AWS IoT on 443 speaks MQTT only when asked by ALPN. */
const AWS_IOT_443_ALPN = 'x-amzn-mqtt-ca';
/** Linux i2c-dev: set the address of the device the next read goes to. */
const I2C_SLAVE = 0x0703;

export const nodeDoctorFs: DoctorFs = {
  exists: (path) => new Promise((resolve) => access(path, (error) => resolve(!error))),
  readFile: (path) => readFile(path),
  async probeWritable(dir) {
    const probe = join(dir, `.doctor-${process.pid}`);
    await writeFile(probe, 'coffee-iot doctor write probe\n', { flag: 'wx' });
    await rm(probe, { force: true });
  },
  async availableBytes(path) {
    const stats = await statfs(path);
    return stats.bavail * stats.bsize;
  },
};

export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(error);
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });

export const dnsLookup: DnsLookup = (host) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(Object.assign(new Error(`no DNS answer within ${DNS_TIMEOUT_MS} ms`), { code: 'ETIMEOUT' })),
      DNS_TIMEOUT_MS,
    );
  });
  return Promise.race([lookup(host), timeout]).finally(() => clearTimeout(timer));
};

export function tlsConnector(settleMs = TLS_SETTLE_MS, timeoutMs = TLS_TIMEOUT_MS): TlsConnector {
  return (request) =>
    new Promise((resolve, reject) => {
      const socket = connect({
        host: request.host,
        port: request.port,
        ...(isIP(request.host) ? {} : { servername: request.host }),
        cert: request.cert,
        key: request.key,
        ca: request.ca,
        ...(request.port === 443 ? { ALPNProtocols: [AWS_IOT_443_ALPN] } : {}),
      });
      let settled = false;
      let settleTimer: NodeJS.Timeout | undefined;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        if (settleTimer) clearTimeout(settleTimer);
        outcome();
      };
      socket.setTimeout(timeoutMs, () => {
        const error = Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        });
        finish(() => reject(error));
        socket.destroy();
      });
      socket.on('error', (error) => finish(() => reject(error)));
      socket.on('close', () =>
        finish(() =>
          reject(Object.assign(new Error('connection closed by the server'), { code: 'ECONNRESET' })),
        ),
      );
      socket.once('secureConnect', () => {
        // Read, so that an alert the server sends now is seen; nothing is ever written.
        socket.resume();
        const protocol = socket.getProtocol() ?? 'TLS';
        settleTimer = setTimeout(
          () =>
            finish(() => {
              socket.setTimeout(0);
              socket.end();
              socket.destroySoon();
              resolve({ protocol });
            }),
          settleMs,
        );
      });
    });
}

/** Loads a module from the agent's own install, as the drivers do. */
export const loadModule: ModuleLoader = (name) => import(name);

/**
 * Addresses a device and reads one byte through /dev/i2c-N with the ioctl module (the native
 * helper sense-hat-led ships with). EBUSY on I2C_SLAVE means a kernel driver owns the address:
 * the device is there. ENXIO/EREMOTEIO/EIO on the read: nothing acknowledged.
 */
export function i2cProbe(load: ModuleLoader = loadModule): I2cProbe {
  return async (bus, address) => {
    const loaded = (await load('ioctl')) as { default?: unknown };
    const ioctl = (typeof loaded.default === 'function' ? loaded.default : loaded) as (
      fd: number,
      request: number,
      argument: number,
    ) => number;
    const fd = openSync(`/dev/i2c-${bus}`, 'r+');
    try {
      try {
        ioctl(fd, I2C_SLAVE, address);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EBUSY') return 'busy';
        throw error;
      }
      try {
        readSync(fd, Buffer.alloc(1), 0, 1, null);
        return 'answered';
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENXIO' || code === 'EREMOTEIO' || code === 'EIO') return 'no-answer';
        throw error;
      }
    } finally {
      closeSync(fd);
    }
  };
}

export function nodeDoctorPorts(): DoctorPorts {
  return {
    fs: nodeDoctorFs,
    run: runCommand,
    lookup: dnsLookup,
    tlsConnect: tlsConnector(),
    i2cProbe: i2cProbe(),
    loadModule,
    mapGpioLine: async (pin) => {
      const mapping = await bcmToSysfsGpio(pin);
      return { sysfs: mapping.sysfs, chip: mapping.chip.label };
    },
    fetchCredentials: httpsCredentialFetcher,
    now: Date.now,
    nodeVersion: process.versions.node,
    arch: process.arch,
  };
}
