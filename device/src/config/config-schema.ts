import { DEFAULT_TOPIC_PREFIX, IOT_CORE_LIMITS, THING_NAME_PATTERN } from '@coffee-iot/shared';
import { LOG_LEVELS } from '../ports/logger.js';
import { TRANSPORT_NAMES } from '../transport/transport-port.js';

/**
 * The subset of JSON Schema draft-07 this file uses. Every `description` is phrased as the
 * expected form, because it is quoted in error messages and in `--help`.
 */
export interface SchemaNode {
  type: 'object' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: false;
  enum?: readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

const MiB = 1024 * 1024;

// Host name or IP literal: no scheme, port or path (a pasted URL is the usual mistake).
const HOST_PATTERN =
  '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9A-Fa-f:.]+$';

function integer(minimum: number, maximum: number, defaultValue: number | undefined, description: string) {
  const node: SchemaNode = { type: 'integer', minimum, maximum, description };
  if (defaultValue !== undefined) node.default = defaultValue;
  return node;
}

function path(description: string, defaultValue?: string): SchemaNode {
  const node: SchemaNode = { type: 'string', minLength: 1, description };
  if (defaultValue !== undefined) node.default = defaultValue;
  return node;
}

function object(properties: Record<string, SchemaNode>, description: string): SchemaNode {
  return { type: 'object', description, additionalProperties: false, default: {}, properties };
}

/** Draft-07 schema of agent.json. Unknown keys are errors at every level. */
export const agentConfigSchema: SchemaNode = {
  type: 'object',
  additionalProperties: false,
  required: ['thingName', 'endpoint', 'cert', 'key', 'rootCa'],
  properties: {
    thingName: {
      type: 'string',
      pattern: THING_NAME_PATTERN.source,
      description: "AWS IoT thing name, 1-128 letters, digits, ':', '_' or '-' (also the MQTT client id)",
    },
    endpoint: {
      type: 'string',
      maxLength: 253,
      pattern: HOST_PATTERN,
      description:
        'broker host name or IP without scheme or port, e.g. abc123-ats.iot.eu-west-1.amazonaws.com',
    },
    port: integer(1, 65535, 8883, 'TCP port of the broker, 1-65535'),
    cert: path('path to the device certificate (PEM)'),
    key: path("path to the device private key (PEM), readable only by the agent's user"),
    rootCa: path('path to the CA certificate of the broker (PEM), e.g. AmazonRootCA1.pem'),
    stateDir: path('directory for the spool and the status file', '/var/lib/coffee-iot'),
    topicPrefix: {
      type: 'string',
      default: DEFAULT_TOPIC_PREFIX,
      description:
        'MQTT topic prefix without leading or trailing "/", wildcards or "$"; topics are {topicPrefix}/{thingName}/{kind}',
    },
    intervalMs: integer(100, 3_600_000, 1000, 'milliseconds between readings, 100-3600000'),
    batchSeconds: integer(
      0,
      3600,
      0,
      'seconds of live readings per message, 0-3600 (0 publishes each reading as it is taken)',
    ),
    transport: {
      type: 'string',
      enum: ['auto', ...TRANSPORT_NAMES],
      default: 'auto',
      description: `one of auto, ${TRANSPORT_NAMES.join(', ')} (auto falls back to mqtt.js where aws-crt cannot load)`,
    },
    logLevel: {
      type: 'string',
      enum: LOG_LEVELS,
      default: 'info',
      description: `one of ${LOG_LEVELS.join(', ')}`,
    },
    keepAliveSeconds: integer(
      1,
      1200,
      30,
      'MQTT keep-alive in seconds, 1-1200 (IoT Core raises values under 30 to 30)',
    ),
    // 30 s because aws-crt reports a TLS failure only after 10-30 s; a shorter timeout would
    // hide the real cause (wrong CA, unknown certificate) behind "timed out".
    connectTimeoutMs: integer(
      1000,
      120_000,
      30_000,
      'milliseconds one connection attempt may take, 1000-120000',
    ),
    reconnect: object(
      {
        minMs: integer(100, 600_000, 1000, 'first reconnect delay in milliseconds, 100-600000'),
        maxMs: integer(1000, 3_600_000, 60_000, 'longest reconnect delay in milliseconds, 1000-3600000'),
        stableAfterMs: integer(
          0,
          3_600_000,
          30_000,
          'milliseconds a connection must last before the backoff resets, 0-3600000',
        ),
      },
      'reconnect backoff (jittered, exponential)',
    ),
    publish: object(
      {
        maxPublishesPerSecond: integer(
          1,
          IOT_CORE_LIMITS.publishesPerSecond,
          IOT_CORE_LIMITS.publishesPerSecond,
          `publishes per second, 1-${IOT_CORE_LIMITS.publishesPerSecond} (IoT Core's per-connection limit)`,
        ),
        maxPayloadBytes: integer(
          1024,
          IOT_CORE_LIMITS.maxPayloadBytes,
          IOT_CORE_LIMITS.maxPayloadBytes,
          `bytes per message, 1024-${IOT_CORE_LIMITS.maxPayloadBytes} (IoT Core's payload limit)`,
        ),
        maxInFlight: integer(
          1,
          IOT_CORE_LIMITS.maxInFlight,
          10,
          `unacknowledged QoS 1 publishes at once, 1-${IOT_CORE_LIMITS.maxInFlight}`,
        ),
      },
      'publishing limits',
    ),
    spool: object(
      {
        maxReadings: integer(
          1,
          100_000_000,
          604_800,
          'readings kept while offline, 1-100000000 (604800 = 7 days at 1 Hz)',
        ),
        maxBytes: integer(64 * 1024, 64 * 1024 * MiB, 256 * MiB, 'spool size in bytes, 65536-68719476736'),
        maxAgeHours: {
          type: 'number',
          exclusiveMinimum: 0,
          default: 168,
          description: 'hours a reading is kept while offline, a number > 0',
        },
      },
      'spool limits; the oldest readings are dropped (and counted) first',
    ),
    sensors: object(
      {
        temperatureCompensation: object(
          {
            enabled: { type: 'boolean', default: true, description: 'true or false' },
            factor: {
              type: 'number',
              exclusiveMinimum: 0,
              default: 1.5,
              description: 'a number > 0 in compensated = raw - (cpu - raw) / factor; smaller subtracts more',
            },
          },
          'correction for the CPU heat that reaches the Sense HAT',
        ),
      },
      'sensor settings',
    ),
    healthIntervalSeconds: integer(1, 3600, 60, 'seconds between health messages, 1-3600'),
    mock: {
      type: 'boolean',
      default: false,
      description: 'true or false (true replaces the Sense HAT with simulated readings)',
    },
    mockSeed: integer(
      0,
      4_294_967_295,
      undefined,
      'integer 0-4294967295 that makes mock readings reproducible',
    ),
  },
};
