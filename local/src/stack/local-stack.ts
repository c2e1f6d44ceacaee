import { join, resolve } from 'node:path';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  type CoffeeDatabase,
  createCoffeeRepository,
  createDeviceRepository,
  createKinesisIngestStream,
  createLocalFaceAnalyzer,
  createRekognitionAnalyzer,
  createS3Client,
  createS3PhotoStore,
  type FaceAnalyzer,
  migrateToLatest,
  openDatabaseFromUrl,
  openSqliteDatabase,
} from '@coffee-iot/cloud';
import { openLocalLake } from '@coffee-iot/cloud/lake';
import { createLogger, type Logger } from '@coffee-iot/device';
import { DEFAULT_TOPIC_PREFIX } from '@coffee-iot/shared';
import { tapBroker, waitForClients } from '../broker/broker-taps.js';
import { EmbeddedBroker } from '../broker/embedded-broker.js';
import { createDashboardServer } from '../dashboard/dashboard-server.js';
import type { DashboardSource } from '../dashboard/dashboard-source.js';
import { writeDeviceConfig } from '../fleet/device-configs.js';
import { FleetProcess } from '../fleet/fleet-process.js';
import { CheckpointFile } from '../kinesis/checkpoints.js';
import { startLocalKinesis } from '../kinesis/local-kinesis.js';
import { StreamReader } from '../kinesis/stream-reader.js';
import { LakeWriter } from '../lake/lake-writer.js';
import { LiveDashboardSource } from '../live/live-dashboard-source.js';
import { recentTelemetry } from '../live/recent-telemetry.js';
import { TELEMETRY_STEP_MS, TELEMETRY_WINDOW_MS } from '../live/telemetry-window.js';
import { checkAwsAccess } from '../photos/aws-preflight.js';
import { photosAsEvents } from '../photos/missed-photos.js';
import { PhotoInvoker } from '../photos/photo-invoker.js';
import { ensureDevPki } from '../pki/pki.js';
import { TelemetryRule } from '../rules/telemetry-rule.js';
import { LOCAL_PHOTO_BUCKET, startLocalS3 } from '../s3/local-s3.js';
import { ensureWritableDataDir } from './data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import { listenOrExplain, MissingNativeModuleError } from './stack-errors.js';
import { type LocalStackOptions, thingNames } from './stack-options.js';
import { StackParts } from './stack-parts.js';
import { webRoots } from './web-roots.js';

export interface LocalStack {
  readonly dataDir: string;
  readonly dashboardUrl: string;
  readonly brokerPort: number;
  readonly s3Endpoint: string;
  readonly kinesisEndpoint: string;
  readonly lakeDir: string;
  readonly databaseUrl: string;
  readonly thingNames: readonly string[];
  /** Brews on a simulated device, as the dashboard's button does. */
  press(thingName: string): Promise<void>;
  /** The dashboard's live events (telemetry, device status, coffees), for the terminal and tests. */
  subscribe: DashboardSource['subscribe'];
  /** Counters of every part, for tests and benchmarks. */
  counters(): StackCounters;
  /** Writes what the lake writer holds now (tests and benchmarks; it also flushes on its own). */
  flushLake(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackCounters {
  rule: TelemetryRule['counters'];
  lake: LakeWriter['counters'];
  photos: PhotoInvoker['counters'];
  dashboardClients: number;
}

const TOPIC_PREFIX = DEFAULT_TOPIC_PREFIX;

/**
 * The whole pipeline on one machine, each AWS part replaced by its embedded stand-in and reached
 * through the client our code uses in AWS. Parts start in dependency order and stop in reverse:
 * PKI → database → Kinesis → lake writer → S3 + photo handler → broker + topic rule → dashboard →
 * the simulated fleet.
 */
export async function startLocalStack(
  options: LocalStackOptions,
  report: (line: string) => void = () => undefined,
  logger: Logger = createLogger(options.logLevel),
): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir);
  await ensureWritableDataDir(dataDir);
  const things = thingNames(options.devices);
  const parts = new StackParts(logger, report);
  try {
    await parts.start('data directory', async () => {
      const lock = await lockDataDir(dataDir);
      return { ready: `${dataDir} (locked for this stack)`, stop: () => lock.release() };
    });
    const pki = await parts.start('dev PKI', async () => {
      const paths = await ensureDevPki(join(dataDir, 'pki'), { thingNames: things });
      return {
        ready: `CA ${paths.caPath}, ${things.length} device certificate(s)`,
        stop: async () => undefined,
        paths,
      };
    });

    const database = await parts.start('database', async () => {
      const opened = await openStackDatabase(dataDir, options.mysqlUrl);
      await migrateToLatest(opened.database.db);
      return {
        ready: opened.description,
        stop: () => opened.database.close(),
        database: opened.database,
        url: opened.url,
      };
    });
    const coffees = createCoffeeRepository(database.database);
    const devices = createDeviceRepository(database.database);

    const kinesis = await parts.start('Kinesis', async () => {
      const started = await startLocalKinesis({
        directory: join(dataDir, 'kinesis'),
        port: options.kinesisPort,
        shards: options.shards,
        logger,
      });
      return {
        ready: `${started.endpoint} (stream ${started.streamName}, ${options.shards} shards${started.durable ? '' : ', in memory only'})`,
        stop: started.stop,
        started,
      };
    });
    const ingestStream = createKinesisIngestStream({
      client: kinesis.started.client,
      streamName: kinesis.started.streamName,
    });

    const s3 = await listenOrExplain('local S3', options.s3Port, '--s3-port', () =>
      startLocalS3(join(dataDir, 's3'), options.s3Port),
    );
    const s3Client = createS3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });

    // Created before the lake and the photo handler, which both feed it.
    const live = new LiveDashboardSource({
      database: database.database,
      coffees,
      devices,
      s3: s3Client,
      bucket: LOCAL_PHOTO_BUCKET,
      logger: logger.child({ part: 'dashboard' }),
    });

    const lakeDir = join(dataDir, 'lake');
    const lake = await parts.start('lake', async () => {
      const opened = await openLocalLake(lakeDir);
      const checkpoints = new CheckpointFile(join(dataDir, 'kinesis', 'checkpoints.json'));
      const writer = new LakeWriter({
        lake: opened,
        checkpoints,
        logger: logger.child({ part: 'lake' }),
        flushMs: options.lakeFlushMs,
        maxBuffered: 100_000,
      });
      const reader = new StreamReader({
        client: kinesis.started.client,
        streamName: kinesis.started.streamName,
        startAfter: await checkpoints.load(),
        logger: logger.child({ part: 'stream-reader' }),
        onRecords: async (records) => {
          live.onStreamRecords(records);
          await writer.accept(records);
        },
      });
      // The last hour from the lake first, so a restarted dashboard is not blank.
      live.seedTelemetry(await recentTelemetry(lakeDir, Date.now() - TELEMETRY_WINDOW_MS, TELEMETRY_STEP_MS));
      writer.start();
      await reader.start();
      return {
        ready: `${lakeDir} (writes every ${options.lakeFlushMs / 1000} s; query: npx coffee-iot query --lake ${lakeDir} "SQL")`,
        async stop() {
          await reader.stop();
          await writer.stop();
          await opened.close();
        },
        writer,
      };
    });

    let stopping = false;
    const photos = await parts.start('photo handler', async () => {
      const store = createS3PhotoStore(s3Client);
      const readPhoto = async (bucket: string, key: string) => {
        const object = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = await object.Body?.transformToByteArray();
        if (bytes === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
        return bytes;
      };
      let analyzer: FaceAnalyzer & { close?: () => Promise<void> };
      if (options.aws) {
        const client = new RekognitionClient({});
        await checkAwsAccess(client);
        analyzer = createRekognitionAnalyzer({
          client,
          readPhotoBytes: (photo) => readPhoto(photo.bucket, photo.key),
        });
      } else {
        const local = createLocalFaceAnalyzer({ readPhoto });
        // The model takes seconds to load: load it now, in its worker, not on the first press.
        local.warmUp().catch((error: unknown) => {
          // Stopping the stack ends the worker mid-load: that is not a failure to report.
          if (!stopping) {
            logger.error(
              { err: error },
              'local face model did not load; photos will be retried, then dead-lettered',
            );
          }
        });
        analyzer = local;
      }
      const invoker = new PhotoInvoker({
        deps: {
          store,
          analyzer,
          coffees,
          stream: ingestStream,
          logger: logger.child({ part: 'photo-handler' }),
          deletePhotoAfterAnalysis: false,
          now: () => new Date(),
        },
        logger: logger.child({ part: 'photo-handler' }),
        deadLetterPath: join(dataDir, 'failed-photo-events.ndjson'),
        onProcessed: (summary) => {
          live.onCoffeesRecorded(summary.recorded).catch((error: unknown) => {
            logger.error({ err: error }, 'dashboard not told about new coffees');
          });
        },
      });
      s3.onObjectEvent((event) => {
        // Failures are retried, then dead-lettered and logged inside the invoker.
        invoke(invoker, event, logger);
      });
      // Photos stored while the stack was down (or whose event a crash lost) are handled now.
      for (const event of await photosAsEvents(s3Client, LOCAL_PHOTO_BUCKET)) invoke(invoker, event, logger);
      return {
        ready: `${s3.endpoint} (bucket ${LOCAL_PHOTO_BUCKET}) → ${analyzer.name} analyzer → database + stream`,
        async stop() {
          stopping = true;
          await invoker.stop();
          await analyzer.close?.();
          s3Client.destroy();
          await s3.stop();
        },
        invoker,
      };
    });

    const rule = new TelemetryRule({ stream: ingestStream, logger: logger.child({ part: 'topic-rule' }) });
    const broker = await parts.start('MQTT broker', async () => {
      const embedded = new EmbeddedBroker({
        port: options.brokerPort,
        caPath: pki.paths.caPath,
        certPath: pki.paths.server.certPath,
        keyPath: pki.paths.server.keyPath,
        logger: logger.child({ part: 'broker' }),
        thingPolicy: { topicPrefix: TOPIC_PREFIX },
      });
      await listenOrExplain('MQTT broker', options.brokerPort, '--port', () => embedded.start());
      tapBroker(
        embedded.aedes,
        TOPIC_PREFIX,
        {
          telemetry: (thing, payload) => rule.onMessage(thing, payload),
          health: (message) => live.onHealth(message),
          anyMessage: (thing) => live.onDeviceMessage(thing),
          connected: (thing) => live.onConnected(thing),
          disconnected: (thing) => live.onDisconnected(thing),
        },
        logger,
      );
      rule.start();
      return {
        ready: `mqtts://127.0.0.1:${embedded.port} (mutual TLS; rule ${TOPIC_PREFIX}/+/telemetry → Kinesis)`,
        async stop() {
          await embedded.stop();
          await rule.stop();
        },
        embedded,
      };
    });

    let fleet: FleetProcess | undefined;
    const dashboard = await parts.start('dashboard', async () => {
      const server = createDashboardServer({
        source: {
          snapshot: () => live.snapshot(),
          subscribe: (listener) => live.subscribe(listener),
          readPhoto: (key) => live.readPhoto(key),
          press: (deviceId) =>
            fleet ? fleet.press(deviceId) : Promise.reject(new Error('no simulated fleet')),
        },
        staticRoots: webRoots(),
        logger: logger.child({ part: 'dashboard' }),
      });
      const address = await listenOrExplain('dashboard', options.dashboardPort, '--dashboard-port', () =>
        server.listen(options.dashboardPort),
      );
      return { ready: address.url, stop: () => server.close(), url: address.url, server };
    });

    if (things.length > 0) {
      fleet = await parts.start('devices', async () => {
        const configPaths: string[] = [];
        for (const [index, thingName] of things.entries()) {
          const certificate = pki.paths.clients[thingName];
          if (certificate === undefined) throw new Error(`dev PKI has no certificate for ${thingName}`);
          configPaths.push(
            await writeDeviceConfig(join(dataDir, 'devices'), {
              thingName,
              certificate,
              caPath: pki.paths.caPath,
              brokerPort: broker.embedded.port,
              s3Endpoint: s3.endpoint,
              controlPort: index === 0 ? options.controlPort : 0,
              countdownSeconds: options.countdownSeconds,
              logLevel: options.agentLogLevel,
            }),
          );
        }
        const process = new FleetProcess({
          specPath: join(dataDir, 'devices', 'fleet.json'),
          spec: { configPaths, logLevel: options.agentLogLevel },
          thingNames: things,
          logger: logger.child({ part: 'fleet' }),
        });
        await process.start();
        await waitForClients(broker.embedded.aedes, things, 30_000 + things.length * 100).catch(
          async (error: unknown) => {
            await process.stop();
            throw error;
          },
        );
        const control =
          options.controlPort > 0
            ? `; ${things[0]} also on POST http://127.0.0.1:${options.controlPort}/press`
            : '';
        return Object.assign(process, {
          ready: `${things.length} simulated (${things[0]}${things.length > 1 ? ` … ${things.at(-1)}` : ''}), connected${control}`,
        });
      });
    }

    return {
      dataDir,
      dashboardUrl: dashboard.url,
      brokerPort: broker.embedded.port,
      s3Endpoint: s3.endpoint,
      kinesisEndpoint: kinesis.started.endpoint,
      lakeDir,
      databaseUrl: database.url,
      thingNames: things,
      subscribe: (listener) => live.subscribe(listener),
      press: (thingName) =>
        fleet ? fleet.press(thingName) : Promise.reject(new Error('no simulated fleet')),
      counters: () => ({
        rule: { ...rule.counters },
        lake: { ...lake.writer.counters },
        photos: { ...photos.invoker.counters },
        dashboardClients: dashboard.server.clients(),
      }),
      flushLake: () => lake.writer.flush(),
      stop: () => parts.stopAll(),
    };
  } catch (error) {
    await parts.stopAll();
    throw error;
  }
}

function invoke(invoker: PhotoInvoker, event: { Records: unknown[] }, logger: Logger): void {
  invoker.invoke(event).catch((error: unknown) => logger.error({ err: error }, 'photo event lost'));
}

async function openStackDatabase(
  dataDir: string,
  mysqlUrl: string | undefined,
): Promise<{ database: CoffeeDatabase; description: string; url: string }> {
  if (mysqlUrl !== undefined) {
    const database = await openDatabaseFromUrl(mysqlUrl);
    return { database, description: `MySQL ${redactPassword(mysqlUrl)}`, url: mysqlUrl };
  }
  const path = join(dataDir, 'coffee-iot.sqlite');
  try {
    return { database: openSqliteDatabase(path), description: `SQLite ${path}`, url: `sqlite:${path}` };
  } catch (error) {
    if (
      (error as Error).message.includes('better_sqlite3.node') ||
      (error as NodeJS.ErrnoException).code === 'ERR_DLOPEN_FAILED'
    ) {
      throw new MissingNativeModuleError(
        'better-sqlite3',
        'the embedded database cannot open (coffees and devices have nowhere to go)',
        'Run `npm rebuild better-sqlite3` (needs build-essential and python3), or use a MySQL server with --mysql URL.',
        { cause: error },
      );
    }
    throw error;
  }
}

function redactPassword(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
