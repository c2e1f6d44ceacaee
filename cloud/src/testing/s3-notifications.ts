import type { S3EventRecord } from 'aws-lambda';

export interface ObjectCreatedOptions {
  bucket: string;
  /** The key as it appears in the notification: URL-encoded, as S3 sends it (see encodeS3Key). */
  encodedKey: string;
  size?: number;
  eventTime?: string;
  eventName?: string;
  sequencer?: string;
}

/** One S3 event notification record in the shape AWS documents (event message structure 2.1). */
export function objectCreatedRecord(options: ObjectCreatedOptions): S3EventRecord {
  const { bucket } = options;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventTime: options.eventTime ?? '2026-11-26T08:15:00.000Z',
    eventName: options.eventName ?? 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AROAEXAMPLEROLEID:coffee-pi-01' },
    requestParameters: { sourceIPAddress: '203.0.113.7' },
    responseElements: {
      'x-amz-request-id': 'C3D13FE58DE4C810',
      'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'coffee-iot-photo-created',
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
        arn: `arn:aws:s3:::${bucket}`,
      },
      object: {
        key: options.encodedKey,
        size: options.size ?? 48_213,
        eTag: 'd41d8cd98f00b204e9800998ecf8427e',
        sequencer: options.sequencer ?? '0055AED6DCD90281E5',
      },
    },
  };
}
