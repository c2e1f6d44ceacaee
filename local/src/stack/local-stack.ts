import { join, resolve } from 'node:path';
import type { SerialAllowListAdmin } from '@coffee-iot/cloud';
import { createLogger, type Logger } from '@coffee-iot/device';
import type { EmbeddedBroker } from '../broker/embedded-broker.js';
import type { DashboardServer } from '../dashboard/dashboard-server.js';
import type { DashboardSource } from '../dashboard/dashboard-source.js';
import type { DeviceControl } from '../dashboard/device-control.js';
import type { FleetCounters } from '../fleet/fleet-process.js';
import type { JobsService } from '../iot-core/jobs-service.js';
import type { ShadowService } from '../iot-core/shadow-service.js';
import type { LakeWriter } from '../lake/lake-writer.js';
import { LiveDashboardSource } from '../live/live-dashboard-source.js';
import type { PhotoInvoker } from '../photos/photo-invoker.js';
import { ensureDevPki } from '../pki/pki.js';
import type { CertificateRegistry } from '../provisioning/certificate-registry.js';
import type { ProvisioningService } from '../provisioning/provisioning-service.js';
import type { DeviceMessageRule } from '../rules/device-message-rule.js';
import type { LakeRuleErrors } from '../rules/rule-error-sink.js';
import type { TelemetryRule } from '../rules/telemetry-rule.js';
import { LOCAL_PHOTO_BUCKET } from '../s3/local-s3.js';
import { ensureWritableDataDir } from './data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import { startBrokerPart } from './parts/broker-part.js';
import { startBucketPart } from './parts/bucket-part.js';
import { startCertificatesPart, startProvisioningPart } from './parts/certificates-part.js';
import { startDashboardPart } from './parts/dashboard-part.js';
import { startDatabasePart } from './parts/database-part.js';
import { type FleetPart, startFleetPart } from './parts/fleet-part.js';
import { startIotCorePart } from './parts/iot-core-part.js';
import { startLakePart } from './parts/lake-part.js';
import { startPhotoHandlerPart } from './parts/photo-handler-part.js';
import { startStreamPart } from './parts/stream-part.js';
import { type LocalStackOptions, thingNames } from './stack-options.js';
import { StackParts } from './stack-parts.js';

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
  /** Device config shadows and jobs, as the dashboard's panel and the CLI drive them. */
  readonly control: DeviceControl;
  /** The serial allow-list of fleet provisioning by claim (in the registry database). */
  readonly allowList: SerialAllowListAdmin;
  /** The claim certificate and key an SD-card image carries. */
  readonly claimCertificate: { readonly certPath: string; readonly keyPath: string };
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
  /** Health and coffee messages: admitted, malformed, naming another device. */
  deviceMessages: DeviceMessageRule['counters'];
  /** The rules' error action: refused messages written to the lake's errors/rule/. */
  ruleErrors: LakeRuleErrors['counters'];
  lake: LakeWriter['counters'];
  photos: PhotoInvoker['counters'];
  /** What the broker refused as the IoT policy would: connects, publishes, subscriptions, deliveries. */
  brokerPolicyRefusals: EmbeddedBroker['policyRefusals'];
  dashboardClients: number;
  /** Dashboard requests refused for a foreign Host or a cross-site Origin, by header. */
  dashboardRefusedRequests: ReturnType<DashboardServer['refusedRequests']>;
  /** The local shadow and jobs services: requests answered, rejected, deltas, timeouts. */
  shadows: ShadowService['counters'];
  jobs: JobsService['counters'];
  /** CreateCertificateFromCsr, RegisterThing (with hook refusals) and rotation reports. */
  provisioning: ProvisioningService['counters'];
  /** CONNECTs the certificate registry refused, by reason. */
  certificateRefusals: CertificateRegistry['refusals'];
  /** The simulated devices' process: crashes, restarts, presses refused or lost; null without devices. */
  fleet: FleetCounters | null;
}

/**
 * The whole pipeline on one machine, each AWS part replaced by its embedded stand-in and reached
 * through the client our code uses in AWS. Parts start in dependency order and stop in reverse:
 * data directory → PKI → database → Kinesis → bucket → lake → photo handler → broker + topic
 * rule → shadow and jobs services → dashboard → the simulated fleet.
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
  let fleetPart: FleetPart | undefined;
  const press = (thingName: string) =>
    fleetPart
      ? fleetPart.fleet.press(thingName)
      : Promise.reject(new Error('no simulated devices in this stack'));
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
    const certificates = await parts.start('certificates', () =>
      startCertificatesPart({ dataDir, pki: pki.paths, logger }),
    );
    const database = await parts.start('database', () => startDatabasePart(dataDir, options.mysqlUrl));
    const stream = await parts.start('Kinesis', () =>
      startStreamPart(dataDir, options.kinesisPort, options.shards, logger),
    );
    const bucket = await parts.start('S3', () => startBucketPart(dataDir, options.s3Port));
    // Fed by the lake's reader, the photo handler and the broker; read by the dashboard.
    const live = new LiveDashboardSource({
      database: database.database,
      coffees: database.coffees,
      devices: database.devices,
      s3: bucket.client,
      bucket: LOCAL_PHOTO_BUCKET,
      logger: logger.child({ part: 'dashboard' }),
    });
    const lake = await parts.start('lake', () =>
      startLakePart({ dataDir, kinesis: stream.kinesis, live, flushMs: options.lakeFlushMs, logger }),
    );
    const photos = await parts.start('photo handler', () =>
      startPhotoHandlerPart({
        dataDir,
        bucket,
        aws: options.aws,
        coffees: database.coffees,
        stream: stream.ingestStream,
        live,
        logger,
      }),
    );
    const broker = await parts.start('MQTT broker', () =>
      startBrokerPart({
        pki: pki.paths,
        port: options.brokerPort,
        stream: stream.ingestStream,
        streamName: stream.kinesis.streamName,
        lakeDir: lake.lakeDir,
        live,
        certificates: certificates.registry,
        logger,
      }),
    );
    const provisioning = await parts.start('provisioning', () =>
      startProvisioningPart({ broker: broker.broker, certificates, database: database.database, logger }),
    );
    const iotCore = await parts.start('shadows + jobs', () =>
      startIotCorePart({ dataDir, broker: broker.broker, logger }),
    );
    const dashboard = await parts.start('dashboard', () =>
      startDashboardPart({ live, press, control: iotCore.control, port: options.dashboardPort, logger }),
    );
    if (things.length > 0) {
      fleetPart = await parts.start('devices', () =>
        startFleetPart({
          things,
          dataDir,
          pki: pki.paths,
          broker: broker.broker,
          s3Endpoint: bucket.s3.endpoint,
          stack: options,
          logger,
        }),
      );
    }
    return {
      dataDir,
      dashboardUrl: dashboard.url,
      brokerPort: broker.broker.port,
      s3Endpoint: bucket.s3.endpoint,
      kinesisEndpoint: stream.kinesis.endpoint,
      lakeDir: lake.lakeDir,
      databaseUrl: database.url,
      thingNames: things,
      subscribe: (listener) => live.subscribe(listener),
      press,
      allowList: provisioning.allowList,
      claimCertificate: certificates.claim,
      control: iotCore.control,
      counters: () => ({
        rule: { ...broker.rule.counters },
        deviceMessages: { ...broker.deviceMessages.counters },
        ruleErrors: { ...broker.ruleErrors.counters },
        lake: { ...lake.writer.counters },
        photos: { ...photos.invoker.counters },
        brokerPolicyRefusals: { ...broker.broker.policyRefusals },
        dashboardClients: dashboard.server.clients(),
        dashboardRefusedRequests: dashboard.server.refusedRequests(),
        shadows: { ...iotCore.shadows.counters },
        jobs: { ...iotCore.jobs.counters },
        provisioning: structuredClone(provisioning.service.counters),
        certificateRefusals: { ...certificates.registry.refusals },
        fleet: fleetPart?.fleet.counters() ?? null,
      }),
      flushLake: () => lake.writer.flush(),
      stop: () => parts.stopAll(),
    };
  } catch (error) {
    // The failed part cleaned up after itself; the ones before it stop here, newest first.
    await parts
      .stopAll()
      .catch((stopError: unknown) => logger.error({ err: stopError }, 'clean-up after a failed start'));
    throw error;
  }
}
