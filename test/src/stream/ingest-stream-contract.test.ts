import { afterAll, beforeAll } from 'vitest';
import { createKinesisIngestStream } from '../../../cloud/src/stream/index.js';
import { MemoryIngestStream } from '../../../cloud/src/testing/memory-stream.js';
import { describeIngestStreamContract } from './ingest-stream-contract.js';
import {
  createActiveStream,
  type RunningKinesalite,
  readAllRecords,
  startKinesalite,
} from './kinesalite-stack.js';

describeIngestStreamContract('MemoryIngestStream', async () => {
  const stream = new MemoryIngestStream();
  return { stream, readBack: async () => [...stream.records] };
});

let kinesalite: RunningKinesalite;
let streams = 0;
beforeAll(async () => {
  kinesalite = await startKinesalite();
});
afterAll(async () => {
  await kinesalite?.stop();
});

describeIngestStreamContract('Kinesis adapter on kinesalite', async () => {
  streams += 1;
  const streamName = `contract-${streams}`;
  await createActiveStream(kinesalite.client, streamName, 1);
  return {
    stream: createKinesisIngestStream({ client: kinesalite.client, streamName }),
    readBack: async () =>
      (await readAllRecords(kinesalite.client, streamName)).map((r) => ({
        partitionKey: r.partitionKey,
        data: r.data,
      })),
  };
});
