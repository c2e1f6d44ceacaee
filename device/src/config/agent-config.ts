import type { LogLevel } from '../ports/logger.js';
import type { TransportName } from '../transport/transport-port.js';

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

/** The validated agent configuration, every default applied. Paths are absolute. */
export interface AgentConfig {
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
  /** Replaces the hardware only; the agent still talks to the configured broker. */
  mock: boolean;
  /** Makes mock readings reproducible. */
  mockSeed?: number;
}

export interface LoadedConfig {
  config: AgentConfig;
  /** Things that work but should be fixed (e.g. a private key readable by others). */
  warnings: string[];
}

export const DEFAULT_CONFIG_PATH = '/etc/coffee-iot/agent.json';
export const ENV_PREFIX = 'COFFEE_IOT_';
/** Not a config key: names the file itself, like --config (which wins over it). */
export const CONFIG_PATH_ENV = 'COFFEE_IOT_CONFIG';
