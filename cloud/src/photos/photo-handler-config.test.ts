import { describe, expect, it } from 'vitest';
import { EnvironmentError } from '../config/env.js';
import { readPhotoHandlerConfig } from './photo-handler-config.js';

describe('readPhotoHandlerConfig', () => {
  it('reads the environment with documented defaults', () => {
    expect(readPhotoHandlerConfig({ INGEST_STREAM_NAME: 'ingest', DB_SECRET_ARN: 'arn:secret' })).toEqual({
      streamName: 'ingest',
      dbSecretArn: 'arn:secret',
      dbHost: undefined,
      dbName: undefined,
      minFaceConfidence: 90,
      minAttributeConfidence: 80,
      deletePhotoAfterAnalysis: false,
      concurrency: 4,
    });
  });

  it('names every missing or malformed variable at once', () => {
    expect(() =>
      readPhotoHandlerConfig({ MIN_ATTRIBUTE_CONFIDENCE: '120', DELETE_PHOTO_AFTER_ANALYSIS: 'sometimes' }),
    ).toThrow(
      new EnvironmentError([
        'INGEST_STREAM_NAME is required',
        'DB_SECRET_ARN is required',
        'MIN_ATTRIBUTE_CONFIDENCE must be a number from 0 to 100, got "120"',
        'DELETE_PHOTO_AFTER_ANALYSIS must be true or false, got "sometimes"',
      ]),
    );
  });
});
