import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../config/env.js';
import { readSchemaResourceConfig } from './schema-resource-config.js';

describe('readSchemaResourceConfig', () => {
  it('reads the secret ARN and the optional proxy host and database name', () => {
    expect(
      readSchemaResourceConfig({
        DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123:secret:coffee-db',
        DB_HOST: 'coffee.proxy-abc.eu-west-1.rds.amazonaws.com',
        DB_NAME: 'coffee',
      }),
    ).toEqual({
      mode: 'mysql',
      dbSecretArn: 'arn:aws:secretsmanager:eu-west-1:123:secret:coffee-db',
      dbHost: 'coffee.proxy-abc.eu-west-1.rds.amazonaws.com',
      dbName: 'coffee',
    });
    expect(readSchemaResourceConfig({ DB_SECRET_ARN: 'coffee-db', DB_HOST: ' ' })).toEqual({
      mode: 'mysql',
      dbSecretArn: 'coffee-db',
      dbHost: undefined,
      dbName: undefined,
    });
  });

  it('reads the Data API mode, which runs the migrations without a VPC', () => {
    expect(
      readSchemaResourceConfig({
        DATABASE_MODE: 'data-api',
        DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123:cluster:coffee',
        DB_SECRET_ARN: 'coffee-db',
        DB_NAME: 'coffee_iot',
      }),
    ).toEqual({
      mode: 'data-api',
      dbClusterArn: 'arn:aws:rds:eu-west-1:123:cluster:coffee',
      dbSecretArn: 'coffee-db',
      dbName: 'coffee_iot',
    });
  });

  it('names the missing secret', () => {
    expect(() => readSchemaResourceConfig({ DB_HOST: 'proxy' })).toThrow(
      new EnvironmentError(['DB_SECRET_ARN is required']),
    );
  });
});
