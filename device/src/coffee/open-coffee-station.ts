import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoffeeEvent } from '@coffee-iot/shared';
import type { PressTrigger } from '../button/button-port.js';
import { JoystickButton } from '../button/joystick-button.js';
import { OnoffButton } from '../button/onoff-button.js';
import type { Camera } from '../camera/camera-port.js';
import type { AgentConfig } from '../config/agent-config.js';
import { CountdownConfigError, MAX_COUNTDOWN_SECONDS, runCountdown } from '../leds/countdown.js';
import type { LedMatrix } from '../leds/led-port.js';
import { SafeLedMatrix } from '../leds/safe-leds.js';
import { openSenseHatLeds } from '../leds/sense-hat-leds.js';
import { TerminalLeds } from '../leds/terminal-leds.js';
import { FilePhotoOutbox } from '../outbox/photo-outbox.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { HttpControl } from '../triggers/http-control.js';
import { KeyboardTrigger } from '../triggers/keyboard-trigger.js';
import type { S3PhotoUploader } from '../upload/s3-photo-uploader.js';
import { UploadWorker } from '../upload/upload-worker.js';
import { CoffeeFlow } from './coffee-flow.js';
import { CoffeeStation } from './coffee-station.js';

/** s3rver's built-in key pair: the local stack's S3 stand-in accepts nothing else. */
const LOCAL_S3_DEV_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface OpenCoffeeStationOptions {
  config: AgentConfig;
  bootId: string;
  logger: Logger;
  clock: Clock;
  timers: Timers;
  /** Durably queues a coffee event (the spool's coffee queue), replacing its reservation, and wakes its publisher. */
  queueEvent: (event: CoffeeEvent, reservation?: number) => void;
  /** Durably reserves a press before it is answered (see CoffeeFlowOptions.reservePress). */
  reservePress?: (fallback: CoffeeEvent) => number;
  /** Stand-ins for tests; otherwise config.mock decides. */
  camera?: Camera;
  triggers?: PressTrigger[];
}

export interface OpenedCoffeeStation {
  station: CoffeeStation;
  /** The loopback control port when enabled (`POST /press`). */
  control: HttpControl | null;
  /** The S3 adapter photos go up with, when a bucket is configured (log uploads share it). */
  s3: S3PhotoUploader | null;
  /** Changes the LED countdown from the next press on (the config shadow); checked like the config. */
  setCountdownSeconds(seconds: number): void;
}

/**
 * Builds the coffee button from the configuration: real hardware on a Pi, mock camera,
 * keyboard and terminal LEDs with --mock. Hardware that cannot be opened is logged and
 * left out; it never stops the agent.
 */
export async function openCoffeeStation(options: OpenCoffeeStationOptions): Promise<OpenedCoffeeStation> {
  const { config, logger, clock, timers } = options;
  const log = logger.child({ component: 'coffee' });
  const captureDir = join(config.stateDir, 'capture');
  await prepareCaptureDir(captureDir, log);

  const leds = new SafeLedMatrix(await openLeds(config, log), log);
  const camera = options.camera ?? (await openCamera(config));
  const outbox = new FilePhotoOutbox({
    stateDir: config.stateDir,
    limits: { maxPhotos: config.outbox.maxPhotos, maxBytes: config.outbox.maxBytes },
    keepUploaded: config.outbox.keepUploaded,
    deviceId: config.thingName,
    logger: log.child({ part: 'outbox' }),
  });
  const s3 = await openS3Uploader(config, log, clock);
  const uploads = s3 ? openUploads(config, s3, outbox, log, clock, timers, leds) : null;
  const control =
    config.control.port > 0 ? new HttpControl({ logger: log, port: config.control.port, clock }) : null;
  const triggers = options.triggers ?? openTriggers(config, log, clock, timers);
  if (control) triggers.push(control);

  let countdownSeconds = config.coffee.countdownSeconds;
  let station: CoffeeStation | undefined;
  const flow = new CoffeeFlow({
    deviceId: config.thingName,
    bootId: options.bootId,
    camera,
    outbox: {
      stagingPath: (eventId) => join(captureDir, `${eventId}.jpg`),
      add: async (entry) => {
        await outbox.add(entry);
        station?.photoQueued();
      },
    },
    // Read at each press, so a remote change applies from the next press without a restart.
    countdown: (signal) => runCountdown(leds, countdownSeconds, timers, signal),
    showError: () => void leds.showIcon('error'),
    queueEvent: options.queueEvent,
    ...(options.reservePress ? { reservePress: options.reservePress } : {}),
    cooldownMs: config.coffee.cooldownMs,
    clock,
    logger: log,
    newEventId: randomUUID,
  });
  station = new CoffeeStation({ flow, triggers, leds, outbox, uploads, logger: log });
  const setCountdownSeconds = (seconds: number) => {
    if (!(Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_COUNTDOWN_SECONDS)) {
      throw new CountdownConfigError(
        `countdown must be 0-${MAX_COUNTDOWN_SECONDS} whole seconds (got ${seconds})`,
      );
    }
    countdownSeconds = seconds;
  };
  return { station, control, s3, setCountdownSeconds };
}

/*
 * The camera, S3 and credential modules are imported only when used: an agent without a bucket
 * (or without a camera) should not carry their code. The uploader no longer brings the AWS SDK
 * (it signs its own PutObject), so the saving is now small.
 */
async function openCamera(config: AgentConfig): Promise<Camera> {
  const settings = {
    width: config.camera.width,
    height: config.camera.height,
    quality: config.camera.quality,
    rotation: config.camera.rotation as 0 | 180,
    hflip: config.camera.hflip,
    vflip: config.camera.vflip,
    timeoutMs: config.camera.timeoutMs,
    settleMs: config.camera.settleMs,
  };
  if (config.mock) {
    const { MockCamera } = await import('../camera/mock-camera.js');
    return new MockCamera({ settings, ...(config.camera.mockDir ? { mockDir: config.camera.mockDir } : {}) });
  }
  const { RpicamCamera } = await import('../camera/rpicam-camera.js');
  return new RpicamCamera({ settings });
}

async function openLeds(config: AgentConfig, logger: Logger): Promise<LedMatrix> {
  if (config.mock) return new TerminalLeds();
  try {
    return await openSenseHatLeds();
  } catch (error) {
    logger.warn({ err: error }, 'Sense HAT LEDs unavailable; the countdown runs without them');
    return new TerminalLeds({ isTTY: false });
  }
}

function openTriggers(config: AgentConfig, logger: Logger, clock: Clock, timers: Timers): PressTrigger[] {
  const triggers: PressTrigger[] = [];
  if (config.button.pin !== undefined) {
    triggers.push(
      new OnoffButton({
        pin: config.button.pin,
        activeLow: config.button.activeLow,
        debounceMs: config.button.debounceMs,
        logger,
        clock,
        timers,
      }),
    );
  }
  if (config.mock) triggers.push(new KeyboardTrigger({ logger, clock }));
  else if (config.button.joystick) triggers.push(new JoystickButton({ logger, clock, timers }));
  return triggers;
}

/** The S3 adapter with the configured credentials, or null when no bucket is configured. */
export async function openS3Uploader(
  config: AgentConfig,
  logger: Logger,
  clock: Clock,
): Promise<S3PhotoUploader | null> {
  const { upload, credentials } = config;
  if (upload.bucket === undefined) {
    logger.warn('upload.bucket is not set: photos wait in the outbox and are not uploaded');
    return null;
  }
  const { S3PhotoUploader } = await import('../upload/s3-photo-uploader.js');
  const { IotCredentialProvider } = await import('../credentials/iot-credential-provider.js');
  return new S3PhotoUploader({
    bucket: upload.bucket,
    region: upload.region,
    ...(upload.endpoint ? { endpoint: upload.endpoint } : {}),
    // Unset lets the uploader apply its rule (path style whenever an endpoint is configured).
    ...(upload.forcePathStyle ? { forcePathStyle: true } : {}),
    requestTimeoutMs: upload.requestTimeoutMs,
    logger: logger.child({ part: 's3' }),
    ...(upload.devStaticCredentials
      ? { devStaticCredentials: LOCAL_S3_DEV_CREDENTIALS }
      : {
          credentials: new IotCredentialProvider({
            // Checked at load: a bucket without devStaticCredentials requires both.
            endpoint: credentials.endpoint as string,
            roleAlias: credentials.roleAlias as string,
            thingName: config.thingName,
            certPath: config.cert,
            keyPath: config.key,
            caPath: config.rootCa,
            refreshBeforeExpiryMs: credentials.refreshBeforeExpiryMs,
            clock,
            logger: logger.child({ part: 'credentials' }),
          }),
        }),
  });
}

function openUploads(
  config: AgentConfig,
  uploader: S3PhotoUploader,
  outbox: FilePhotoOutbox,
  logger: Logger,
  clock: Clock,
  timers: Timers,
  leds: LedMatrix,
): UploadWorker {
  const { upload } = config;
  return new UploadWorker({
    outbox,
    uploader,
    backoff: upload.backoff,
    clock,
    timers,
    logger: logger.child({ part: 'uploads' }),
    // LED status: an "uploading" icon while a photo goes up, cleared once S3 has it.
    onUploading: () => void leds.showIcon('uploading'),
    onUploaded: () => void leds.clear(),
  });
}

/**
 * The camera writes here before the outbox takes the photo over. What is left after a crash
 * was never handed to the outbox (its press already has a camera_failed or no event): removed,
 * and said so.
 */
async function prepareCaptureDir(dir: string, logger: Logger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  for (const name of await readdir(dir)) {
    await rm(join(dir, name), { force: true });
    logger.warn({ file: name }, 'removed an unfinished capture left by a previous run');
  }
}
