import type { CredentialFetcher } from '../credentials/https-credential-fetcher.js';

/**
 * Everything the doctor probes, behind one port each, so every failure can be faked in tests.
 * The real adapters are in node-doctor-ports.ts. Methods reject with Node errno errors (`code`
 * ENOENT, EACCES, …) as the real calls do.
 */
export interface DoctorFs {
  exists(path: string): Promise<boolean>;
  readFile(path: string): Promise<Buffer>;
  /** Creates, writes and removes a probe file in `dir`. */
  probeWritable(dir: string): Promise<void>;
  /** Bytes an unprivileged user may still write on the file system holding `path`. */
  availableBytes(path: string): Promise<number>;
}

export interface CommandResult {
  /** Exit code; null when killed by a signal or the time limit. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell. Rejects with code ENOENT when the program is not installed. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

export type DnsLookup = (host: string) => Promise<{ address: string; family: number }>;

export interface TlsHandshakeRequest {
  host: string;
  port: number;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export interface TlsHandshakeResult {
  /** Negotiated protocol, e.g. "TLSv1.3". */
  protocol: string;
}

/**
 * Connects with the client certificate, completes the handshake, waits briefly for the server to
 * reject the certificate (TLS 1.3 checks it after the client's side is done), then ends without
 * sending anything. Rejects with the TLS or socket error.
 */
export type TlsConnector = (request: TlsHandshakeRequest) => Promise<TlsHandshakeResult>;

/**
 * 'answered': a device acknowledged its address; 'busy': a kernel driver holds the address (so a
 * device is there); 'no-answer': nothing acknowledged. Rejects when the bus itself cannot be opened.
 */
export type I2cAnswer = 'answered' | 'busy' | 'no-answer';
export type I2cProbe = (bus: number, address: number) => Promise<I2cAnswer>;

/** Loads a module the way the agent does (dynamic import from the agent's install). */
export type ModuleLoader = (name: string) => Promise<unknown>;

/** Maps a BCM pin to its sysfs GPIO line (see button/gpio-map.ts). */
export type GpioLineMapper = (bcmPin: number) => Promise<{ sysfs: number; chip: string }>;

export interface DoctorPorts {
  fs: DoctorFs;
  run: CommandRunner;
  lookup: DnsLookup;
  tlsConnect: TlsConnector;
  i2cProbe: I2cProbe;
  loadModule: ModuleLoader;
  mapGpioLine: GpioLineMapper;
  fetchCredentials: CredentialFetcher;
  /** Wall clock, ms since the epoch (certificate expiry). */
  now: () => number;
  /** process.versions.node */
  nodeVersion: string;
  /** process.arch */
  arch: string;
}
