import { type ChildProcess, execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort } from './free-port.js';
import { spawnServer } from './server-process.js';

const run = promisify(execFile);
export const MARIADBD_BIN = process.env.MARIADBD_BIN ?? '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB_BIN = process.env.MARIADB_INSTALL_DB_BIN ?? '/usr/bin/mariadb-install-db';
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 50;
/** The account tests connect with over TCP; root stays on the socket. */
export const MARIADB_USER = 'coffee';
export const MARIADB_PASSWORD = 'coffee-test-password';

export class MariaDbHarnessError extends Error {
  override readonly name = 'MariaDbHarnessError';
}

/** Server certificate files for `--ssl-*`: MariaDB then accepts TLS (and still plain) connections. */
export interface MariaDbTlsFiles {
  caPath: string;
  certPath: string;
  keyPath: string;
}

export interface MariaDbServerOptions {
  tls?: MariaDbTlsFiles;
  /** Addresses to listen on, default 127.0.0.1 (another loopback address gives a second host name). */
  bindAddresses?: readonly string[];
}

export interface MariaDbConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/**
 * A real MariaDB for integration tests: its own data directory in a temp folder, its own socket,
 * a free TCP port on 127.0.0.1. Requires the Debian `mariadb-server` package (.ci/run installs it).
 * `stop()` and `start()` keep the data directory, so a test can take the database away and back.
 */
export class MariaDbServer {
  readonly host = HOST;
  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private databases = 0;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly options: MariaDbServerOptions,
  ) {}

  static async create(options: MariaDbServerOptions = {}): Promise<MariaDbServer> {
    const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-mariadb-'));
    // Created before the install: its bootstrap server uses it too (see --tmpdir in start()).
    await mkdir(join(dir, 'tmp'));
    const args = [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      // Passed on to the bootstrap server. In the shared /tmp, servers initialising at the same
      // time (parallel test files) trip over each other's temporary tables.
      `--tmpdir=${join(dir, 'tmp')}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      ...rootUserArgs(),
    ];
    try {
      await run(MARIADB_INSTALL_DB_BIN, args);
    } catch (cause) {
      await rm(dir, { recursive: true, force: true });
      throw new MariaDbHarnessError(
        `cannot initialise a MariaDB data directory with ${MARIADB_INSTALL_DB_BIN} (is mariadb-server installed?)`,
        { cause },
      );
    }
    return new MariaDbServer(dir, await freePort(), options);
  }

  get socketPath(): string {
    return join(this.dir, 'mariadb.sock');
  }

  async start(): Promise<void> {
    if (this.process) throw new MariaDbHarnessError('MariaDB is already running');
    const { child, exited } = spawnServer(
      MARIADBD_BIN,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--socket=${this.socketPath}`,
        `--pid-file=${join(this.dir, 'mariadb.pid')}`,
        `--port=${this.port}`,
        `--bind-address=${(this.options.bindAddresses ?? [HOST]).join(',')}`,
        ...tlsArgs(this.options.tls),
        // Its own temp directory: servers of test files running in parallel share /tmp, where
        // their internal temp-table names collide ("Error on delete of '/tmp/#sql-temptable-…'").
        `--tmpdir=${join(this.dir, 'tmp')}`,
        '--skip-name-resolve',
        '--skip-log-bin',
        // Test data is disposable: trade durability for speed and a small footprint.
        '--innodb-buffer-pool-size=32M',
        '--innodb-flush-log-at-trx-commit=2',
        '--innodb-log-file-size=16M',
        '--max-connections=200',
        ...rootUserArgs(),
      ],
      (text) => {
        this.output += text;
      },
    );
    this.process = child;
    this.exited = exited.then(() => {
      if (this.process === child) this.process = undefined;
    });
    await this.waitUntilReady(child);
    await this.asRoot(
      `CREATE USER IF NOT EXISTS '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD}'`,
      `GRANT ALL PRIVILEGES ON *.* TO '${MARIADB_USER}'@'%'`,
    );
  }

  /** A fresh, empty database on this server, so suites and tests do not see each other's rows. */
  async createDatabase(prefix = 'coffee'): Promise<MariaDbConnection> {
    this.databases += 1;
    const database = `${prefix}_${process.pid}_${this.databases}`;
    await this.asRoot(`CREATE DATABASE \`${database}\``);
    return { host: HOST, port: this.port, user: MARIADB_USER, password: MARIADB_PASSWORD, database };
  }

  /** A user that may only use `database`, for tests that change its password. */
  async createUser(user: string, password: string, database: string): Promise<MariaDbConnection> {
    await this.asRoot(
      `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`,
      `GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'%'`,
    );
    return { host: HOST, port: this.port, user, password, database };
  }

  /** What a password rotation does: connections open keep working, new ones need the new password. */
  async setPassword(user: string, password: string): Promise<void> {
    await this.asRoot(`ALTER USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  }

  /** SIGTERM and wait: MariaDB shuts down cleanly and keeps its data for start(). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  logs(): string {
    return this.output;
  }

  async cleanup(): Promise<void> {
    await this.signal('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }

  private async asRoot(...statements: string[]): Promise<void> {
    const connection = await createConnection({ socketPath: this.socketPath, user: 'root' });
    try {
      for (const statement of statements) await connection.query(statement);
    } finally {
      await connection.end();
    }
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child) return;
    child.kill(signal);
    await this.exited;
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.process !== child) {
        throw new MariaDbHarnessError(`mariadbd exited during start-up:\n${this.output}`);
      }
      try {
        const connection = await createConnection({ socketPath: this.socketPath, user: 'root' });
        await connection.end();
        return;
      } catch {
        // Not accepting connections yet: poll again.
        await delay(READY_POLL_MS);
      }
    }
    child.kill('SIGKILL');
    throw new MariaDbHarnessError(`mariadbd not ready within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
  }
}

function tlsArgs(tls: MariaDbTlsFiles | undefined): string[] {
  if (!tls) return [];
  return [`--ssl-ca=${tls.caPath}`, `--ssl-cert=${tls.certPath}`, `--ssl-key=${tls.keyPath}`];
}

/** mariadbd refuses to run as root unless told so; CI runs as root. */
function rootUserArgs(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}
