import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CoffeeDatabase,
  createCoffeeRepository,
  DatabaseSecretFormatError,
  DatabaseUnavailableError,
  migrateToLatest,
  openMysqlDatabaseFromSecret,
} from '../../../cloud/src/db/index.js';
import { openLambdaDatabase } from '../../../cloud/src/db/lambda-database.js';
import { secretCredentials } from '../../../cloud/src/db/secret-credentials.js';
import { sampleCoffeeRecord } from '../../../cloud/src/testing/coffee-fixtures.js';
import { type MariaDbConnection, MariaDbServer } from '../harness/mariadb.js';

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coffee-db-AbCdEf';

/** GetSecretValue as AWS answers it for an RDS-managed secret. */
function secretValue(fields: Record<string, unknown>, versionId = 'v1'): GetSecretValueCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    ARN: SECRET_ID,
    Name: 'coffee-db',
    VersionId: versionId,
    SecretString: JSON.stringify(fields),
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date('2026-03-01T00:00:00Z'),
  };
}

function rdsSecret(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    engine: 'mysql',
    host: 'coffee.cluster-abc.eu-west-1.rds.amazonaws.com',
    port: 3306,
    dbname: 'coffee',
    username: 'coffee_app',
    password: 'first-password',
    dbClusterIdentifier: 'coffee',
    ...overrides,
  };
}

const secretsMock = mockClient(SecretsManagerClient);

function getSecretCalls(): number {
  return secretsMock.commandCalls(GetSecretValueCommand).length;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(error)}`);
  return error;
}

beforeEach(() => {
  secretsMock.reset();
});

afterAll(() => {
  secretsMock.restore();
});

describe('openLambdaDatabase: the mysql path is loaded only when asked for', () => {
  it('reads the secret in mysql mode (the lazily imported module), and never in data-api mode', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(secretValue(rdsSecret({ host: undefined })));
    const secrets = new SecretsManagerClient({});
    await expect(
      openLambdaDatabase({ mode: 'mysql', dbSecretArn: SECRET_ID, dbName: 'coffee' }, secrets),
    ).rejects.toThrow(/"host" is missing and no hostOverride was given/);
    expect(getSecretCalls()).toBe(1);

    const dataApi = await openLambdaDatabase(
      {
        mode: 'data-api',
        dbClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee',
        dbSecretArn: SECRET_ID,
        dbName: 'coffee',
      },
      secrets,
    );
    expect(getSecretCalls()).toBe(1);
    await dataApi.close();
  });
});

describe('database credentials from Secrets Manager', () => {
  it('are read once per client and secret however many databases are opened', async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves(secretValue(rdsSecret()));
    const secrets = new SecretsManagerClient({ region: 'eu-west-1' });
    const databases = await Promise.all(
      [1, 2, 3].map(() => openMysqlDatabaseFromSecret({ secrets, secretId: SECRET_ID, ssl: 'rds' })),
    );
    await openMysqlDatabaseFromSecret({
      secrets,
      secretId: SECRET_ID,
      ssl: 'rds',
      hostOverride: 'proxy.example',
    });
    expect(getSecretCalls()).toBe(1);

    // Another client (another container, in effect) reads for itself.
    await openMysqlDatabaseFromSecret({
      secrets: new SecretsManagerClient({}),
      secretId: SECRET_ID,
      ssl: 'rds',
    });
    expect(getSecretCalls()).toBe(2);
    await Promise.all(databases.map((database) => database.close()));
  });

  it('take the host and database from the overrides (the RDS Proxy endpoint) and a port given as text', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(secretValue(rdsSecret({ host: undefined, port: '3307' })));
    const secrets = new SecretsManagerClient({});
    await expect(openMysqlDatabaseFromSecret({ secrets, secretId: SECRET_ID, ssl: false })).rejects.toThrow(
      /"host" is missing and no hostOverride was given/,
    );
    const credentials = await secretCredentials(secrets, SECRET_ID).get();
    expect(credentials).toEqual({
      username: 'coffee_app',
      password: 'first-password',
      host: null,
      port: 3307,
      dbname: 'coffee',
    });
    const database = await openMysqlDatabaseFromSecret({
      secrets,
      secretId: SECRET_ID,
      ssl: false,
      hostOverride: 'proxy.example',
      databaseOverride: 'other',
    });
    await database.close();
  });

  it('name every problem of a malformed secret and never quote its values', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolves(secretValue({ username: '', password: 987_654, port: 'three', host: 'h', dbname: 'd' }));
    const error = await rejection(
      openMysqlDatabaseFromSecret({ secrets: new SecretsManagerClient({}), secretId: SECRET_ID, ssl: false }),
    );
    expect(error).toBeInstanceOf(DatabaseSecretFormatError);
    expect((error as DatabaseSecretFormatError).problems).toEqual([
      '"username" must be a non-empty string',
      '"password" must be a non-empty string',
      '"port" must be a TCP port number',
    ]);
    expect(error.message).toContain(SECRET_ID);
    expect(error.message).not.toContain('987654');

    secretsMock
      .on(GetSecretValueCommand)
      .resolves({ ...secretValue({}), SecretString: '{"password": "hunter2"' });
    const notJson = await rejection(
      openMysqlDatabaseFromSecret({ secrets: new SecretsManagerClient({}), secretId: SECRET_ID, ssl: false }),
    );
    expect(notJson.message).toMatch(/SecretString is not JSON/);
    expect(notJson.message).not.toContain('hunter2');
  });

  it('report Secrets Manager failures as the database being unavailable, and ask again next time', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    secretsMock.on(GetSecretValueCommand).rejectsOnce(throttled).resolves(secretValue(rdsSecret()));
    const secrets = new SecretsManagerClient({});

    const error = await rejection(openMysqlDatabaseFromSecret({ secrets, secretId: SECRET_ID, ssl: false }));
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toMatch(
      new RegExp(`cannot read database secret ${SECRET_ID}: ThrottlingException`),
    );
    expect(error.cause).toBe(throttled);

    const database = await openMysqlDatabaseFromSecret({ secrets, secretId: SECRET_ID, ssl: false });
    expect(getSecretCalls()).toBe(2);
    await database.close();
  });

  it('refresh once for concurrent callers, and not at all when another pool already refreshed', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce(secretValue(rdsSecret()))
      .resolves(secretValue(rdsSecret({ password: 'second-password' }), 'v2'));
    const credentials = secretCredentials(new SecretsManagerClient({}), SECRET_ID);
    const stale = await credentials.get();

    const refreshed = await Promise.all([credentials.refresh(stale), credentials.refresh(stale)]);
    expect(refreshed.map((c) => c.password)).toEqual(['second-password', 'second-password']);
    expect(getSecretCalls()).toBe(2);

    // A pool that still used the first password finds the cache already moved on.
    expect((await credentials.refresh(stale)).password).toBe('second-password');
    expect((await credentials.get()).password).toBe('second-password');
    expect(getSecretCalls()).toBe(2);
  });
});

describe('a database opened from a secret, when the password rotates', () => {
  let server: MariaDbServer;
  let rotated: MariaDbConnection;
  let users = 0;
  const opened: CoffeeDatabase[] = [];

  beforeAll(async () => {
    server = await MariaDbServer.create();
    await server.start();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  beforeEach(async () => {
    users += 1;
    const { database } = await server.createDatabase();
    rotated = await server.createUser(`rotating_${users}`, 'first-password', database);
  });

  function publish(password: string): void {
    secretsMock.on(GetSecretValueCommand).resolves(
      secretValue({
        engine: 'mysql',
        host: rotated.host,
        port: rotated.port,
        dbname: rotated.database,
        username: rotated.user,
        password,
      }),
    );
  }

  async function open(secrets: SecretsManagerClient): Promise<CoffeeDatabase> {
    const database = await openMysqlDatabaseFromSecret({ secrets, secretId: SECRET_ID, ssl: false });
    opened.push(database);
    return database;
  }

  it('reads the secret again when refused, rebuilds the pool once and carries on', async () => {
    publish('first-password');
    const secrets = new SecretsManagerClient({});
    const before = await open(secrets);
    await migrateToLatest(before.db);
    expect(
      await createCoffeeRepository(before).recordCoffee({ record: sampleCoffeeRecord(), faceDetails: [] }),
    ).toBe('inserted');

    // Rotation: the database and the secret get the new password; connections already open stay in.
    await server.setPassword(rotated.user, 'second-password');
    publish('second-password');
    expect(await createCoffeeRepository(before).findByPhotoKey('photos/none.jpg')).toBeNull();
    expect(getSecretCalls()).toBe(1);

    // A new pool starts from the cached (old) password, is refused, refreshes and succeeds.
    const after = await open(secrets);
    const record = sampleCoffeeRecord();
    expect(await createCoffeeRepository(after).recordCoffee({ record, faceDetails: [] })).toBe('inserted');
    expect(getSecretCalls()).toBe(2);
    expect(await createCoffeeRepository(after).findByPhotoKey(record.photoKey)).not.toBeNull();
    expect(getSecretCalls()).toBe(2);
  });

  it('fails as unavailable when the new password is not published yet, then recovers once it is', async () => {
    publish('first-password');
    const secrets = new SecretsManagerClient({});
    const database = await open(secrets);
    // The rotation changed the database password but has not yet made it AWSCURRENT.
    await server.setPassword(rotated.user, 'second-password');

    const error = await rejection(migrateToLatest(database.db));
    expect(error.message).toMatch(/ER_ACCESS_DENIED_ERROR/);
    expect(error.message).toContain(`${rotated.user}@${rotated.host}:${rotated.port}`);
    const repositoryError = await rejection(createCoffeeRepository(database).findByPhotoKey('photos/x.jpg'));
    expect(repositoryError).toBeInstanceOf(DatabaseUnavailableError);
    // One initial read and one refresh per refused operation: no loop.
    expect(getSecretCalls()).toBe(3);

    publish('second-password');
    await migrateToLatest(database.db);
    expect(await createCoffeeRepository(database).findByPhotoKey('photos/x.jpg')).toBeNull();
  });
});
