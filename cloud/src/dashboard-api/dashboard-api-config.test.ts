import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../config/env.js';
import { readDashboardApiConfig } from './dashboard-api-config.js';

describe('readDashboardApiConfig', () => {
  it('reads the database and the photo bucket, with a five-minute link by default', () => {
    expect(
      readDashboardApiConfig({
        DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
        DB_HOST: 'proxy.example',
        DB_NAME: 'coffee_iot',
        PHOTO_BUCKET: 'coffee-photos',
      }),
    ).toEqual({
      database: {
        mode: 'mysql',
        dbSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
        dbHost: 'proxy.example',
        dbName: 'coffee_iot',
      },
      photoBucket: 'coffee-photos',
      photoLinkSeconds: 300,
    });
  });

  it('reads the Data API mode (no VPC, no proxy)', () => {
    expect(
      readDashboardApiConfig({
        DATABASE_MODE: 'data-api',
        DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee',
        DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
        DB_NAME: 'coffee_iot',
        PHOTO_BUCKET: 'coffee-photos',
      }).database,
    ).toEqual({
      mode: 'data-api',
      dbClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee',
      dbSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
      dbName: 'coffee_iot',
    });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      readDashboardApiConfig({ PHOTO_BUCKET: ' ', PHOTO_LINK_SECONDS: '86400' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).problems).toEqual([
      'DB_SECRET_ARN is required',
      'PHOTO_BUCKET is required',
      'PHOTO_LINK_SECONDS must be a number from 1 to 3600, got "86400"',
    ]);
  });
});
