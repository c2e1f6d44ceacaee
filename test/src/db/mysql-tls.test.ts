import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CoffeeDatabase,
  DatabaseUnavailableError,
  type MysqlConnectionOptions,
  MysqlOptionsError,
  openMysqlDatabase,
} from '../../../cloud/src/db/index.js';
import { mysqlPoolOptions, sslOptions } from '../../../cloud/src/db/mysql-database.js';
import { type MariaDbConnection, MariaDbServer, type MariaDbTlsFiles } from '../harness/mariadb.js';
import { createTestPki, type TestPki } from '../harness/test-pki.js';

const run = promisify(execFile);
const OTHER_NAME = 'db.elsewhere.test';

/** A server certificate for `name` only, signed by the test CA (with the openssl CLI: the test
 * PKI always adds localhost and 127.0.0.1). */
async function issueServerCertificate(
  trusted: TestPki['trusted'],
  dir: string,
  name: string,
): Promise<{ certPath: string; keyPath: string }> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(dir, 'server.key');
  const csrPath = join(dir, 'server.csr');
  const certPath = join(dir, 'server.crt');
  const extPath = join(dir, 'server.ext');
  await writeFile(extPath, `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-subj',
    `/CN=${name}`,
    '-out',
    csrPath,
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csrPath,
    '-CA',
    trusted.caPath,
    '-CAkey',
    trusted.caKeyPath,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    extPath,
    '-out',
    certPath,
  ]);
  return { certPath, keyPath };
}

async function sslCipher(database: CoffeeDatabase): Promise<string> {
  const result = await sql<{ Value: string }>`show session status like 'Ssl_cipher'`.execute(database.db);
  return result.rows[0]?.Value ?? '';
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(error)}`);
  return error;
}

describe('MySQL pool options', () => {
  it('read times as UTC strings, keep a small keep-alive pool and set no session state', () => {
    const options = mysqlPoolOptions({
      host: 'proxy.example',
      port: 3306,
      database: 'coffee',
      user: 'app',
      password: 'secret',
      ssl: false,
    });
    expect(options).toMatchObject({
      dateStrings: true,
      timezone: 'Z',
      connectionLimit: 2,
      maxIdle: 2,
      enableKeepAlive: true,
      connectTimeout: 5_000,
      multipleStatements: false,
    });
    expect(options.ssl).toBeUndefined();
    expect(() =>
      mysqlPoolOptions({
        host: 'h',
        port: 1,
        database: 'd',
        user: 'u',
        password: 'p',
        ssl: false,
        poolSize: 0,
      }),
    ).toThrow(MysqlOptionsError);
  });

  it("verify 'rds' against the Amazon RDS CAs and the Amazon roots RDS Proxy uses, host name included", () => {
    const ssl = sslOptions('rds');
    expect(ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
    const subjects = ((ssl?.ca ?? []) as string[]).map((pem) => new X509Certificate(pem).subject);
    expect(subjects.some((subject) => subject.includes('Amazon RDS'))).toBe(true);
    expect(subjects.some((subject) => subject.includes('CN=Amazon Root CA 1'))).toBe(true);
    expect(sslOptions({ ca: 'PEM' })).toEqual({ ca: 'PEM', rejectUnauthorized: true, verifyIdentity: true });
  });
});

describe('MySQL over TLS', () => {
  let dir: string;
  let pki: TestPki;
  let ca: string;
  /** Presents the test PKI's server certificate (127.0.0.1, localhost). */
  let server: MariaDbServer;
  /** Presents a certificate from the same CA, issued for another host name only. */
  let elsewhere: MariaDbServer;
  let connection: MariaDbConnection;
  const opened: CoffeeDatabase[] = [];

  function open(options: Partial<MysqlConnectionOptions>): CoffeeDatabase {
    const database = openMysqlDatabase({ ...connection, ssl: { ca }, connectTimeoutMs: 3_000, ...options });
    opened.push(database);
    return database;
  }

  async function startServer(tls: MariaDbTlsFiles): Promise<MariaDbServer> {
    const started = await MariaDbServer.create({ tls });
    await started.start();
    return started;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-mysql-tls-'));
    pki = await createTestPki(dir, []);
    ca = await readFile(pki.trusted.caPath, 'utf8');
    const otherName = await issueServerCertificate(pki.trusted, join(dir, 'elsewhere'), OTHER_NAME);
    [server, elsewhere] = await Promise.all([
      startServer({ caPath: pki.trusted.caPath, ...pki.trusted.server }),
      startServer({ caPath: pki.trusted.caPath, ...otherName }),
    ]);
    connection = await server.createDatabase();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  afterAll(async () => {
    await Promise.all([server?.cleanup(), elsewhere?.cleanup()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('connects with the right CA, really encrypted, by address and by name', async () => {
    expect(await sslCipher(open({}))).not.toBe('');
    expect(await sslCipher(open({ host: 'localhost' }))).not.toBe('');
  });

  it('is not encrypted with ssl: false (so the check above can fail)', async () => {
    expect(await sslCipher(open({ ssl: false }))).toBe('');
  });

  it('refuses a server whose certificate another CA signed, saying so', async () => {
    const foreignCa = await readFile(pki.foreign.caPath, 'utf8');
    const error = await failure(sslCipher(open({ ssl: { ca: foreignCa } })));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toMatch(/TLS verification of the database server failed/);
    expect(error.message).toContain(`${connection.host}:${connection.port}`);
  });

  it("refuses our test server with 'rds': only Amazon's CAs are trusted", async () => {
    const error = await failure(sslCipher(open({ ssl: 'rds' })));
    expect(error.message).toMatch(/TLS verification of the database server failed/);
  });

  it('refuses a server whose certificate names another host, even from the trusted CA', async () => {
    const other = await elsewhere.createDatabase();
    const error = await failure(sslCipher(open({ ...other, host: 'localhost' })));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toMatch(/TLS verification of the database server failed/);
    expect(error.message).toMatch(/localhost.*db\.elsewhere\.test/);
  });
});
