import { handlePhotoEvent, type PhotoPipelineDeps } from '@coffee-iot/cloud';
import { createLogger } from '@coffee-iot/device';
import { describe, expect, it } from 'vitest';

const BUCKET = 'coffee-photos';

/** The local stack's logger (the agent's, which redacts `key`), with its output kept as written. */
function capturedLogger() {
  const output: string[] = [];
  const logger = createLogger('debug', {
    write: (line: string) => {
      output.push(line);
      return true;
    },
  } as NodeJS.WritableStream);
  return { logger, output };
}

/** Objects that are not coffee photos never reach these: any call fails the test. */
function untouchedDeps(logger: PhotoPipelineDeps['logger']): PhotoPipelineDeps {
  const refuse = () => {
    throw new Error('a skipped object must not reach the pipeline');
  };
  return {
    store: { read: refuse, head: refuse, delete: refuse } as unknown as PhotoPipelineDeps['store'],
    analyzer: { name: 'rekognition', analyze: refuse } as unknown as PhotoPipelineDeps['analyzer'],
    coffees: new Proxy({}, { get: () => refuse }) as PhotoPipelineDeps['coffees'],
    stream: { putRecords: refuse } as unknown as PhotoPipelineDeps['stream'],
    logger,
    now: () => new Date('2026-11-26T08:00:05.000Z'),
    deletePhotoAfterAnalysis: false,
  };
}

function s3Event(key: string) {
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(key), size: 10 } },
      },
    ],
  };
}

describe('the log line of an object skipped as not a coffee photo', () => {
  it.each([
    ['a key outside photos/', 'uploads/alice-smith/IMG_0042.jpg'],
    ['a photo key with an invalid event id', `photos/coffee-pi-1/2026/11/26/${'-'.repeat(36)}.jpg`],
  ])('never prints the key the logger redacts (%s), in its fields or in its reason', async (_case, key) => {
    const { logger, output } = capturedLogger();
    const summary = await handlePhotoEvent(s3Event(key), untouchedDeps(logger));

    expect(summary.skipped).toEqual([{ key, reason: expect.any(String) }]);
    expect(summary.skipped[0]?.reason).not.toContain(key);
    const skipLines = output.map((line) => JSON.parse(line)).filter((line) => /skipped/.test(line.msg));
    expect(skipLines).toHaveLength(1);
    expect(skipLines[0]).toMatchObject({
      key: '[redacted]',
      reason: expect.stringMatching(/^key (is not photos\/\{thing\}|has an invalid event id)/),
    });
    for (const line of output) expect(line).not.toContain(key);
    // Nor the distinctive part of it on its own.
    expect(output.join('')).not.toContain(key.split('/').at(-1) as string);
  });
});
