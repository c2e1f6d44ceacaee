import type { LogLevel } from '../ports/logger.js';
import type { TransportName } from '../transport/transport-port.js';
import type { ProvisioningConfig } from './provisioning-config.js';

/** `auto` picks aws-crt and falls back to MQTT.js where aws-crt has no binary (32-bit ARM). */
export type TransportChoice = 'auto' | TransportName;

export interface ReconnectConfig {
  /** First backoff delay after a lost or failed connection. */
  minMs: number;
  /** Backoff ceiling. */
  maxMs: number;
  /** A connection that lasts this long resets the backoff to `minMs`. */
  stableAfterMs: number;
}

/** Defaults and ceilings are AWS IoT Core's per-connection quotas. */
export interface PublishConfig {
  maxPublishesPerSecond: number;
  maxPayloadBytes: number;
  /** Unacknowledged QoS 1 publishes at once. */
  maxInFlight: number;
}

/** The spool drops the oldest readings first when any limit is reached. */
export interface SpoolConfig {
  maxReadings: number;
  maxBytes: number;
  maxAgeHours: number;
}

/**
 * The Sense HAT sits over the warm CPU, so its temperature reads high. When enabled:
 *   compensated = raw − (cpu − raw) / factor
 * A smaller factor subtracts more. 1.5 is the empirical value measured for a Pi 3 with the
 * HAT on its header (yaab-arduino.blogspot.com, 2016-08, "Accurate temperature reading from
 * Raspberry PI Sense HAT"); calibrate it against a reference thermometer for other boards.
 */
export interface TemperatureCompensationConfig {
  enabled: boolean;
  factor: number;
}

export interface SensorsConfig {
  temperatureCompensation: TemperatureCompensationConfig;
}

/** Button press → countdown → photo. */
export interface CoffeeConfig {
  /** LED countdown before the photo, seconds (0 = no countdown). */
  countdownSeconds: number;
  /** Presses this soon after a capture finished are skipped (and reported). */
  cooldownMs: number;
}

export interface ButtonConfig {
  /** BCM number of the GPIO the button is wired to; unset = no GPIO button. */
  pin?: number;
  /** true: button to ground with a pull-up (pressed = low). */
  activeLow: boolean;
  debounceMs: number;
  /** The Sense HAT joystick's middle press is a second trigger. */
  joystick: boolean;
}

export interface CameraConfig {
  width: number;
  height: number;
  quality: number;
  rotation: number;
  hflip: boolean;
  vflip: boolean;
  timeoutMs: number;
  settleMs: number;
  /** Mock mode: photos (JPEG/PNG) to serve instead of the bundled demo photos. */
  mockDir?: string;
}

export interface OutboxConfig {
  maxPhotos: number;
  maxBytes: number;
  keepUploaded: boolean;
}

export interface UploadConfig {
  /** Unset = photos wait in the outbox (nothing is uploaded). */
  bucket?: string;
  region: string;
  /** S3-compatible endpoint URL (local stack); unset = AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
  requestTimeoutMs: number;
  backoff: { minMs: number; maxMs: number };
  /** Local stack only (requires mock): the embedded S3 stand-in's fixed dev key pair. */
  devStaticCredentials: boolean;
}

/** AWS IoT credential provider: temporary credentials for the device certificate. */
export interface CredentialsConfig {
  /** `aws iot describe-endpoint --endpoint-type iot:CredentialProvider`. */
  endpoint?: string;
  roleAlias?: string;
  refreshBeforeExpiryMs: number;
}

export interface ControlConfig {
  /** Loopback HTTP port for `POST /press`; 0 = off. */
  port: number;
}

/** The validated agent configuration, every default applied. Paths are absolute. */
export interface AgentConfig {
  /** With `provisioning`: from {stateDir}/identity/, and '' (like cert and key) until provisioned. */
  thingName: string;
  endpoint: string;
  port: number;
  cert: string;
  key: string;
  rootCa: string;
  stateDir: string;
  topicPrefix: string;
  intervalMs: number;
  /** 0 publishes each reading as it is taken; > 0 batches live readings for that many seconds. */
  batchSeconds: number;
  transport: TransportChoice;
  logLevel: LogLevel;
  keepAliveSeconds: number;
  connectTimeoutMs: number;
  reconnect: ReconnectConfig;
  publish: PublishConfig;
  spool: SpoolConfig;
  sensors: SensorsConfig;
  healthIntervalSeconds: number;
  /** How long readings stamped by an unsynchronised clock are held (device/src/clock/clock-guard.ts). */
  clockSyncWaitSeconds: number;
  /** Replaces the hardware only; the agent still talks to the configured broker. */
  mock: boolean;
  /** Makes mock readings reproducible. */
  mockSeed?: number;
  coffee: CoffeeConfig;
  button: ButtonConfig;
  camera: CameraConfig;
  outbox: OutboxConfig;
  upload: UploadConfig;
  credentials: CredentialsConfig;
  control: ControlConfig;
  /** Provisioning by claim on first boot; unset on a device set up by hand. */
  provisioning?: ProvisioningConfig;
  /** ECDSA P-256 public key (PEM) update bundles must be signed with; unset = no updates. */
  updatePublicKeyPath?: string;
}

export interface LoadedConfig {
  config: AgentConfig;
  /** Things that work but should be fixed (e.g. a private key readable by others). */
  warnings: string[];
  /** Keys set by a flag or COFFEE_IOT_* variable (key → origin): remote changes cannot touch them. */
  pinned?: ReadonlyMap<string, string>;
  /** Remote settings in effect from {stateDir}/remote-config.json (dotted key → value). */
  remote?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_CONFIG_PATH = '/etc/coffee-iot/agent.json';
export const ENV_PREFIX = 'COFFEE_IOT_';
/** Not a config key: names the file itself, like --config (which wins over it). */
export const CONFIG_PATH_ENV = 'COFFEE_IOT_CONFIG';
