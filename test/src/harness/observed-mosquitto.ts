import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MosquittoBroker } from './mosquitto.js';
import { TestSubscriber } from './subscriber.js';
import { clientFiles } from './test-pki.js';

export interface ObservedMosquitto {
  broker: MosquittoBroker;
  /** Persistent-session subscriber ("what reached the cloud"). */
  subscriber: TestSubscriber;
  /** A fresh temp directory for the agent's config and state. */
  workDir: string;
  /** Closes the subscriber, stops mosquitto and deletes every file. */
  cleanup(): Promise<void>;
}

/**
 * The set-up every agent end-to-end test shares: a per-run mosquitto with mutual TLS that
 * knows `thingName`, an observer subscribed to `topics`, and a work directory.
 */
export async function startObservedMosquitto(
  thingName: string,
  observerId: string,
  topics: readonly string[],
  options: { beforeStart?: (broker: MosquittoBroker) => Promise<void> } = {},
): Promise<ObservedMosquitto> {
  const broker = await MosquittoBroker.create({ thingNames: [thingName, 'observer'] });
  // e.g. the benchmarks turn on mosquitto's debug log to time every PUBLISH it receives.
  await options.beforeStart?.(broker);
  await broker.start();
  const subscriber = await TestSubscriber.connect({
    host: broker.host,
    port: broker.port,
    clientId: observerId,
    ...clientFiles(broker.pki.trusted.clients, 'observer'),
    caPath: broker.pki.trusted.caPath,
    topics,
  });
  const workDir = await mkdtemp(join(tmpdir(), `coffee-iot-${observerId}-`));
  return {
    broker,
    subscriber,
    workDir,
    async cleanup() {
      await subscriber.close();
      await broker.cleanup();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
