import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeDatabaseTarget } from './database-target.js';
import { DatabaseUrlError } from './database-url-error.js';
import { openDatabaseFromUrl } from './open-database-from-url.js';
import { parseDatabaseUrl } from './parse-database-url.js';

const CWD = '/srv/coffee';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = {
  '/etc/coffee/ca.pem': PEM,
  '/srv/coffee/certs/ca.pem': PEM,
  '/etc/motd': 'hi',
};
const readTextFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};
const parse = (url: string) => parseDatabaseUrl(url, { cwd: CWD, readTextFile });

function errorOf(url: string): DatabaseUrlError {
  try {
    parse(url);
  } catch (error) {
    expect(error).toBeInstanceOf(DatabaseUrlError);
    return error as DatabaseUrlError;
  }
  throw new Error(`parseDatabaseUrl accepted ${url}`);
}

describe('parseDatabaseUrl: SQLite', () => {
  it.each([
    ['sqlite:.local/coffee-iot.sqlite', '/srv/coffee/.local/coffee-iot.sqlite'],
    ['sqlite:/var/lib/coffee.sqlite', '/var/lib/coffee.sqlite'],
    ['sqlite://data/coffee.db', '/srv/coffee/data/coffee.db'],
    ['sqlite:///var/lib/coffee.db', '/var/lib/coffee.db'],
    ['sqlite::memory:', ':memory:'],
    ['coffee.sqlite', '/srv/coffee/coffee.sqlite'],
    ['../shared/coffee.db', '/srv/shared/coffee.db'],
    ['/tmp/coffee.SQLITE', '/tmp/coffee.SQLITE'],
  ])('%s → %s', (url, path) => {
    expect(parse(url)).toEqual({ kind: 'sqlite', path });
  });

  it('rejects a sqlite URL without a path', () => {
    expect(errorOf('sqlite:').message).toMatch(/sqlite URL has no file path/);
    expect(errorOf('sqlite://').message).toMatch(/sqlite URL has no file path/);
  });
});

describe('parseDatabaseUrl: MySQL', () => {
  it('reads user, password (percent-decoded), host, port and database', () => {
    expect(parse('mysql://coffee%40ops:p%40ss%3Aw%2Frd%23@db.example.com:3307/coffee_iot?ssl=rds')).toEqual({
      kind: 'mysql',
      options: {
        host: 'db.example.com',
        port: 3307,
        database: 'coffee_iot',
        user: 'coffee@ops',
        password: 'p@ss:w/rd#',
        ssl: 'rds',
      },
    });
  });

  it('defaults the port to 3306 and allows an empty password', () => {
    expect(parse('mysql://root@localhost/coffee')).toMatchObject({
      options: { host: 'localhost', port: 3306, user: 'root', password: '', database: 'coffee' },
    });
  });

  it.each([
    ['mysql://u:p@coffee.cluster-abc.eu-west-1.rds.amazonaws.com/coffee', 'rds'],
    ['mysql://u:p@coffee.proxy-abc.eu-west-1.rds.amazonaws.com/coffee', 'rds'],
    ['mysql://u:p@localhost/coffee', false],
    ['mysql://u:p@127.0.0.1:3306/coffee', false],
    ['mysql://u:p@[::1]:3306/coffee', false],
    ['mysql://u:p@db.example.com/coffee?ssl=off', false],
    ['mysql://u:p@localhost/coffee?ssl=rds', 'rds'],
    ['mysql://u:p@db.example.com/coffee?ssl=/etc/coffee/ca.pem', { ca: PEM }],
    ['mysql://u:p@db.example.com/coffee?ssl=certs/ca.pem', { ca: PEM }],
  ])('TLS for %s: %o', (url, ssl) => {
    expect(parse(url)).toMatchObject({ kind: 'mysql', options: { ssl } });
  });

  it('gives an IPv6 host without brackets', () => {
    expect(parse('mysql://u:p@[::1]:3306/coffee')).toMatchObject({ options: { host: '::1' } });
  });

  it('asks how to secure a connection to any other host rather than going plain', () => {
    expect(errorOf('mysql://u:p@db.example.com/coffee').message).toBe(
      'mysql URL: say how to secure the connection to db.example.com: add ?ssl=rds (Amazon RDS CA), ?ssl=/path/to/ca.pem or ?ssl=off',
    );
  });

  it('names every problem with the URL at once', () => {
    expect(errorOf('mysql://localhost/?tls=on&pool=3#x').message).toBe(
      'mysql URL has no user name; no database name (the path after the host); ' +
        'a #fragment, which is not allowed; characters such as @ : / ? # % in the user name or password must be percent-encoded (e.g. @ as %40); ' +
        'unknown parameter(s) tls, pool (only ssl is understood) ' +
        '(expected mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl=rds|off|CA_FILE])',
    );
    expect(errorOf('mysql://u:p@localhost/a/b').message).toMatch(/database name "a\/b" contains "\/"/);
    expect(errorOf('mysql://u:p@localhost/a?ssl=rds&ssl=off').message).toMatch(/ssl given more than once/);
  });

  it('explains a CA file it cannot use', () => {
    expect(errorOf('mysql://u:p@db.example.com/coffee?ssl=/nowhere/ca.pem').message).toBe(
      "mysql URL: cannot read the CA certificate file ssl=/nowhere/ca.pem: ENOENT: no such file or directory, open '/nowhere/ca.pem'",
    );
    expect(errorOf('mysql://u:p@db.example.com/coffee?ssl=/etc/motd').message).toBe(
      'mysql URL: ssl=/etc/motd is not a PEM certificate file (no BEGIN CERTIFICATE line)',
    );
    expect(errorOf('mysql://u:p@db.example.com/coffee?ssl=').message).toMatch(/ssl is empty/);
  });
});

describe('parseDatabaseUrl: errors never show the password', () => {
  const SECRET = 'hunter2-s3cret';
  it.each([
    [`mysql://coffee:${SECRET}%zz@localhost/coffee`, 'the password is not valid percent-encoding'],
    [`mysql://coffee:${SECRET}#x@localhost/coffee`, 'mysql URL is malformed'],
    [`mysql://coffee:${SECRET}@localhost:99999/coffee`, 'mysql URL is malformed'],
    [`mysql://coffee:${SECRET}@db.example.com/coffee`, 'say how to secure the connection'],
    [`mysql://coffee:${SECRET}@localhost/coffee?x=1`, 'unknown parameter(s) x'],
    [`postgres://coffee:${SECRET}@localhost/coffee`, 'unsupported database URL scheme "postgres:"'],
    [`coffee:${SECRET}@localhost/coffee`, 'unsupported database URL scheme "coffee:"'],
    [`${SECRET}`, 'not a database URL'],
    ['   ', 'database URL is empty'],
  ])('%s', (url, expected) => {
    const error = errorOf(url);
    expect(error.message).toContain(expected);
    expect(error.message).not.toContain(SECRET);
    expect(String(error.cause ?? '')).not.toContain(SECRET);
  });
});

describe('describeDatabaseTarget', () => {
  it('names the database without its password', () => {
    expect(describeDatabaseTarget(parse('mysql://coffee:hunter2@localhost:3306/coffee'))).toBe(
      'mysql coffee@localhost:3306/coffee (TLS off)',
    );
    expect(describeDatabaseTarget(parse('mysql://coffee:hunter2@[::1]/coffee?ssl=rds'))).toBe(
      'mysql coffee@[::1]:3306/coffee (TLS: RDS CA)',
    );
    expect(describeDatabaseTarget(parse('sqlite:a.sqlite'))).toBe('sqlite /srv/coffee/a.sqlite');
  });
});

describe('openDatabaseFromUrl', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('opens a SQLite file, creating its folder', async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffee-iot-url-'));
    const database = await openDatabaseFromUrl('sqlite:nested/coffee.sqlite', { cwd: dir });
    try {
      expect(database.dialect).toBe('sqlite');
      expect(existsSync(join(dir, 'nested', 'coffee.sqlite'))).toBe(true);
    } finally {
      await database.close();
    }
  });

  it('opens a MySQL pool without connecting yet', async () => {
    const database = await openDatabaseFromUrl('mysql://u:p@127.0.0.1:1/coffee');
    expect(database.dialect).toBe('mysql');
    await database.close();
  });

  it('rejects a bad URL', async () => {
    await expect(openDatabaseFromUrl('redis://localhost')).rejects.toThrow(DatabaseUrlError);
  });
});
