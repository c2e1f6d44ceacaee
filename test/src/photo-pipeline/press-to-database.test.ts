import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DetectFacesCommand, type FaceDetail, RekognitionClient } from '@aws-sdk/client-rekognition';
import { type CoffeeEvent, type CoffeeRecord, validateCoffeeRecord } from '@coffee-iot/shared';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRekognitionAnalyzer } from '../../../cloud/src/analysis/rekognition-analyzer.js';
import {
  type CoffeeDatabase,
  createCoffeeRepository,
  openMysqlDatabase,
} from '../../../cloud/src/db/index.js';
import { migrateToLatest } from '../../../cloud/src/db/migrate.js';
import { asS3Notification } from '../../../cloud/src/local/s3-notification.js';
import { silentLogger } from '../../../cloud/src/logging/logger.js';
import { handlePhotoEvent, type PhotoEventSummary } from '../../../cloud/src/photos/handle-photo-event.js';
import { createS3Client, createS3PhotoStore } from '../../../cloud/src/photos/s3-photo-store.js';
import { readCoffeeStats } from '../../../cloud/src/stats/index.js';
import { createKinesisIngestStream } from '../../../cloud/src/stream/index.js';
import { agentConfigFor } from '../harness/agent-config.js';
import { AgentProcess } from '../harness/agent-process.js';
import { freePort } from '../harness/free-port.js';
import { MariaDbServer } from '../harness/mariadb.js';
import { type ObservedMosquitto, startObservedMosquitto } from '../harness/observed-mosquitto.js';
import {
  createActiveStream,
  type RunningKinesalite,
  readAllRecords,
  startKinesalite,
} from '../stream/kinesalite-stack.js';
import { BUCKET, REGION, type RunningS3, S3RVER_CREDENTIALS, startS3rver } from '../upload/s3-stack.js';

const THING = 'coffee-pi-kitchen';
const COFFEE = `dt/coffee-iot/${THING}/coffee`;
const HEALTH = `dt/coffee-iot/${THING}/health`;
const STREAM = 'coffee-iot-ingest';

/** One smiling face with glasses, as DetectFaces documents its answer (Attributes ALL). */
const SMILING_FACE: FaceDetail = {
  BoundingBox: { Width: 0.21, Height: 0.38, Left: 0.4, Top: 0.22 },
  AgeRange: { Low: 26, High: 34 },
  Smile: { Value: true, Confidence: 98.1 },
  Eyeglasses: { Value: true, Confidence: 96.4 },
  Sunglasses: { Value: false, Confidence: 99.2 },
  Gender: { Value: 'Female', Confidence: 93.0 },
  Beard: { Value: false, Confidence: 97.7 },
  Mustache: { Value: false, Confidence: 98.9 },
  EyesOpen: { Value: true, Confidence: 95.5 },
  MouthOpen: { Value: true, Confidence: 88.0 },
  Emotions: [
    { Type: 'HAPPY', Confidence: 97.3 },
    { Type: 'CALM', Confidence: 1.2 },
  ],
  Pose: { Roll: 1.2, Yaw: -4.5, Pitch: 6.1 },
  Quality: { Brightness: 71.3, Sharpness: 86.9 },
  Confidence: 99.98,
  FaceOccluded: { Value: false, Confidence: 99.1 },
  EyeDirection: { Yaw: -2.1, Pitch: -6.3, Confidence: 99.5 },
};

/**
 * The whole photo path with the real parts that run here: the agent (mock camera) presses and
 * uploads to s3rver; s3rver's event notification invokes the photo handler in-process, which
 * reads the photo back from s3rver, asks Rekognition (the one part mocked, in AWS's shapes),
 * writes the coffees row to a real MariaDB and the coffee record to kinesalite.
 */
describe('press → photo in S3 → photo handler → coffees row, stats and ingest stream', {
  timeout: 60_000,
}, () => {
  let mariadb: MariaDbServer;
  let database: CoffeeDatabase;
  let kinesis: RunningKinesalite;
  let s3: RunningS3;
  let s3Dir: string;
  let stack: ObservedMosquitto;
  let agent: AgentProcess;
  let controlUrl: string;
  const rekognition = new RekognitionClient({ region: REGION, credentials: S3RVER_CREDENTIALS });
  const rekognitionMock = mockClient(rekognition);
  const invocations: Promise<PhotoEventSummary>[] = [];

  beforeAll(async () => {
    mariadb = await MariaDbServer.create();
    await mariadb.start();
    database = openMysqlDatabase({ ...(await mariadb.createDatabase()), ssl: false });
    await migrateToLatest(database.db);
    kinesis = await startKinesalite();
    await createActiveStream(kinesis.client, STREAM, 1);
    rekognitionMock.on(DetectFacesCommand).resolves({ FaceDetails: [SMILING_FACE] });

    s3Dir = await mkdtemp(join(tmpdir(), 'coffee-iot-s3-'));
    // The S3 client must exist before s3rver emits anything; the endpoint is known once it runs.
    let deps: Parameters<typeof handlePhotoEvent>[1] | undefined;
    s3 = await startS3rver(s3Dir, 0, {
      onEvent: (event) => {
        if (!deps) throw new Error('photo handler not wired yet');
        invocations.push(handlePhotoEvent(asS3Notification(event as { Records: [] }), deps));
      },
    });
    deps = {
      store: createS3PhotoStore(
        createS3Client({ region: REGION, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS }),
      ),
      analyzer: createRekognitionAnalyzer({ client: rekognition }),
      coffees: createCoffeeRepository(database),
      stream: createKinesisIngestStream({ client: kinesis.client, streamName: STREAM }),
      logger: silentLogger(),
      now: () => new Date(),
      deletePhotoAfterAnalysis: false,
    };

    stack = await startObservedMosquitto(THING, 'pipeline-observer', [COFFEE, HEALTH]);
    const controlPort = await freePort();
    controlUrl = `http://127.0.0.1:${controlPort}`;
    const config = agentConfigFor(stack.broker, THING, join(stack.workDir, 'state'), 'mqtt.js', {
      coffee: { countdownSeconds: 1, cooldownMs: 500 },
      control: { port: controlPort },
      upload: { bucket: BUCKET, region: REGION, endpoint: s3.endpoint, devStaticCredentials: true },
    });
    agent = await AgentProcess.withConfig(stack.workDir, config);
    agent.start();
    // Health is published on connect: the agent is up and online.
    await stack.subscriber.waitForCount(HEALTH, 1, 15_000);
  });

  afterAll(async () => {
    if (agent?.running) await agent.kill();
    await stack?.cleanup();
    await s3?.stop();
    await rm(s3Dir, { recursive: true, force: true });
    await kinesis?.stop();
    await database?.close();
    await mariadb?.cleanup();
    rekognitionMock.restore();
  });

  it('a press becomes one analysed coffee in MariaDB, in the stats and in the stream within seconds', async () => {
    const response = await fetch(`${controlUrl}/press`, { method: 'POST' });
    expect(response.status).toBe(202);
    const pressedAt = Date.now();

    const deadline = pressedAt + 20_000;
    while (invocations.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(invocations, `no S3 event within 20 s\n${agent.transcript()}`).toHaveLength(1);
    const summary = await invocations[0];
    const recordedAfterMs = Date.now() - pressedAt;
    // A 1 s countdown, the capture, the upload and the analysis: "within a few seconds".
    expect(recordedAfterMs).toBeLessThan(10_000);
    expect(summary).toMatchObject({ duplicates: [], skipped: [], streamed: 1, ignoredRecords: 0 });

    await stack.subscriber.waitForCount(COFFEE, 1, 10_000);
    const event = JSON.parse(stack.subscriber.payloadsOn(COFFEE)[0] ?? '{}') as CoffeeEvent;
    expect(summary?.recorded).toEqual([event.photoKey]);

    const detect = rekognitionMock.commandCalls(DetectFacesCommand);
    expect(detect).toHaveLength(1);
    expect(detect[0]?.args[0].input).toEqual({
      Image: { S3Object: { Bucket: BUCKET, Name: event.photoKey } },
      Attributes: ['ALL'],
    });

    const stored = await createCoffeeRepository(database).findByPhotoKey(event.photoKey ?? '');
    expect(stored?.record).toMatchObject({
      deviceId: THING,
      eventId: event.eventId,
      capturedAt: event.capturedAt,
      status: 'analyzed',
      analyzer: 'rekognition',
      personPresent: true,
      faceCount: 1,
      smile: true,
      eyeglasses: true,
      sunglasses: false,
      beard: false,
      mustache: false,
      ageLow: 26,
      ageHigh: 34,
      emotion: 'HAPPY',
    });
    expect(stored?.streamedAt).not.toBeNull();

    const stats = await readCoffeeStats(database.db);
    expect(stats.overall.cups).toBe(1);
    expect(stats.overall.smile).toEqual({ known: 1, yes: 1, rate: 1 });
    expect(stats.perDevice.map((d) => d.deviceId)).toEqual([THING]);
    expect(stats.latest[0]?.photoKey).toBe(event.photoKey);

    const streamed = await readAllRecords(kinesis.client, STREAM);
    expect(streamed).toHaveLength(1);
    expect(streamed[0]?.partitionKey).toBe(THING);
    const record = JSON.parse(new TextDecoder().decode(streamed[0]?.data)) as CoffeeRecord;
    expect(validateCoffeeRecord(record)).toMatchObject({ ok: true });
    expect(record).toEqual(stored?.record);

    const devices = await database.db.selectFrom('devices').selectAll().execute();
    expect(devices.map((d) => d.thing_name)).toEqual([THING]);
  });
});
