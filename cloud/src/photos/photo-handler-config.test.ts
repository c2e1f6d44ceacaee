import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../config/env.js';
import { readPhotoHandlerConfig } from './photo-handler-config.js';

describe('readPhotoHandlerConfig', () => {
  it('reads the environment with documented defaults', () => {
    expect(readPhotoHandlerConfig({ INGEST_STREAM_NAME: 'ingest', DB_SECRET_ARN: 'arn:secret' })).toEqual({
      ingest: { kind: 'kinesis', streamName: 'ingest' },
      database: { mode: 'mysql', dbSecretArn: 'arn:secret', dbHost: undefined, dbName: undefined },
      minFaceConfidence: 90,
      minAttributeConfidence: 80,
      deletePhotoAfterAnalysis: false,
      concurrency: 4,
    });
  });

  it('reads the Data API mode, which needs the cluster, the secret and the database name', () => {
    const env = {
      INGEST_STREAM_NAME: 'ingest',
      DATABASE_MODE: 'data-api',
      DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee',
      DB_SECRET_ARN: 'arn:secret',
      DB_NAME: 'coffee_iot',
    };
    expect(readPhotoHandlerConfig(env).database).toEqual({
      mode: 'data-api',
      dbClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee',
      dbSecretArn: 'arn:secret',
      dbName: 'coffee_iot',
    });
    expect(() =>
      readPhotoHandlerConfig({
        INGEST_STREAM_NAME: 'ingest',
        DATABASE_MODE: 'data-api',
        DB_SECRET_ARN: 'arn:secret',
      }),
    ).toThrow(new EnvironmentError(['DB_CLUSTER_ARN is required', 'DB_NAME is required']));
    expect(() => readPhotoHandlerConfig({ ...env, DATABASE_MODE: 'proxy' })).toThrow(
      new EnvironmentError(['DATABASE_MODE must be one of mysql, data-api, got "proxy"']),
    );
  });

  it('puts coffees on the coffees delivery stream when INGEST_DELIVERY_STREAM_NAME is set instead', () => {
    expect(
      readPhotoHandlerConfig({
        INGEST_DELIVERY_STREAM_NAME: 'coffee-iot-coffees',
        DB_SECRET_ARN: 'arn:secret',
      }).ingest,
    ).toEqual({ kind: 'firehose', deliveryStream: 'coffee-iot-coffees' });
    expect(() =>
      readPhotoHandlerConfig({
        INGEST_STREAM_NAME: 'ingest',
        INGEST_DELIVERY_STREAM_NAME: 'coffee-iot-coffees',
        DB_SECRET_ARN: 'arn:secret',
      }),
    ).toThrow(/set exactly one of INGEST_STREAM_NAME .* or INGEST_DELIVERY_STREAM_NAME .*, got both/);
  });

  it('names every missing or malformed variable at once', () => {
    expect(() =>
      readPhotoHandlerConfig({ MIN_ATTRIBUTE_CONFIDENCE: '120', DELETE_PHOTO_AFTER_ANALYSIS: 'sometimes' }),
    ).toThrow(
      new EnvironmentError([
        'set exactly one of INGEST_STREAM_NAME (a Kinesis stream) or INGEST_DELIVERY_STREAM_NAME (a Firehose delivery stream, Direct PUT), got neither',
        'DB_SECRET_ARN is required',
        'MIN_ATTRIBUTE_CONFIDENCE must be a number from 0 to 100, got "120"',
        'DELETE_PHOTO_AFTER_ANALYSIS must be true or false, got "sometimes"',
      ]),
    );
  });
});
