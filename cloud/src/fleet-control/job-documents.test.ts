import { describe, expect, it } from 'vitest';
import { buildJobDocument, JobDocumentError, MAX_JOB_DOCUMENT_BYTES, newJobId } from './job-documents.js';
import { parseSettings, SettingError } from './setting-values.js';

describe('buildJobDocument', () => {
  it('builds { operation, ...parameters } for an allow-listed operation', () => {
    expect(buildJobDocument('upload-logs', { lines: 200 })).toEqual({ operation: 'upload-logs', lines: 200 });
  });

  it.each(['rm -rf /', 'shell', 'capture_photo', ''])(
    'refuses %j: not an operation devices run',
    (operation) => {
      expect(() => buildJobDocument(operation, {})).toThrow(JobDocumentError);
    },
  );

  it('refuses a parameter that would replace the operation, and a document over IoT Core’s 32 KB', () => {
    expect(() => buildJobDocument('restart', { operation: 'x' })).toThrow(/operation/);
    expect(() =>
      buildJobDocument('set-config', { config: { pad: 'x'.repeat(MAX_JOB_DOCUMENT_BYTES) } }),
    ).toThrow(/bytes/);
  });

  it('makes readable job ids that IoT accepts', () => {
    const id = newJobId('capture-photo', new Date('2026-12-07T21:15:00.123Z'), () => 0.5);
    expect(id).toBe('capture-photo-20261207T211500Z-8000');
  });
});

describe('parseSettings', () => {
  it('reads JSON values as JSON and anything else as a string, nesting dotted keys', () => {
    expect(
      parseSettings(['batchSeconds=10', 'logLevel=debug', 'mock=true', 'publish.maxPublishesPerSecond=5']),
    ).toEqual({
      batchSeconds: 10,
      logLevel: 'debug',
      mock: true,
      publish: { maxPublishesPerSecond: 5 },
    });
  });

  it.each([['batchSeconds'], ['=1'], ['bad key=1'], ['a=1', 'a=2'], ['a=1', 'a.b=2']])(
    'refuses %j',
    (...args) => {
      expect(() => parseSettings(args)).toThrow(SettingError);
    },
  );
});
