import { DEFAULT_TOPIC_PREFIX, IOT_CORE_LIMITS, THING_NAME_PATTERN } from '@coffee-iot/shared';
import { DEFAULT_CAMERA_SETTINGS as CAMERA } from '../camera/camera-port.js';
import { LOG_LEVELS } from '../ports/logger.js';
import { TRANSPORT_NAMES } from '../transport/transport-port.js';
import { provisioningSchema } from './provisioning-config.js';

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
    // NTP syncs within a minute of the network coming up; 15 min covers a slow Wi-Fi join. Past
    // that NTP is likely blocked, and a connected Pi should not stay silent any longer.
    clockSyncWaitSeconds: integer(
      0,
      604_800,
      900,
      'seconds readings wait for the clock to be synchronised before they are published as stamped, 0-604800 (0 = do not wait; a clock before 2026 always waits)',
    ),
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
    coffee: object(
      {
        countdownSeconds: integer(0, 9, 3, 'LED countdown before the photo in seconds, 0-9 (0 = none)'),
        cooldownMs: integer(
          0,
          600_000,
          2000,
          'milliseconds after a capture during which presses are skipped, 0-600000',
        ),
      },
      'coffee button flow',
    ),
    button: object(
      {
        pin: integer(0, 27, undefined, 'BCM number of the button GPIO, 0-27 (unset = no GPIO button)'),
        activeLow: {
          type: 'boolean',
          default: true,
          description: 'true or false (true: button to ground with a pull-up, pressed = low)',
        },
        debounceMs: integer(1, 1000, 50, 'debounce in milliseconds, 1-1000'),
        joystick: {
          type: 'boolean',
          default: true,
          description: "true or false (the Sense HAT joystick's middle press also brews)",
        },
      },
      'coffee button wiring',
    ),
    camera: object(
      {
        width: integer(64, 4656, CAMERA.width, 'photo width in pixels, 64-4656'),
        height: integer(64, 3496, CAMERA.height, 'photo height in pixels, 64-3496'),
        quality: integer(1, 100, CAMERA.quality, 'JPEG quality, 1-100'),
        rotation: integer(0, 180, CAMERA.rotation, '0 or 180 (camera mounted upside down)'),
        hflip: { type: 'boolean', default: CAMERA.hflip, description: 'true or false' },
        vflip: { type: 'boolean', default: CAMERA.vflip, description: 'true or false' },
        timeoutMs: integer(
          1000,
          120_000,
          CAMERA.timeoutMs,
          'milliseconds a capture may take before it is killed, 1000-120000',
        ),
        settleMs: integer(
          0,
          10_000,
          CAMERA.settleMs,
          'milliseconds for exposure to settle before the shot, 0-10000',
        ),
        mockDir: path('directory of JPEG/PNG photos for the mock camera (default: bundled demo photos)'),
      },
      'camera (rpicam-still, or libcamera-still on Bullseye)',
    ),
    outbox: object(
      {
        maxPhotos: integer(
          1,
          1_000_000,
          2000,
          'photos kept waiting for upload, 1-1000000 (oldest dropped first)',
        ),
        maxBytes: integer(
          MiB,
          64 * 1024 * MiB,
          1024 * MiB,
          'bytes of photos kept waiting, 1048576-68719476736',
        ),
        keepUploaded: {
          type: 'boolean',
          default: false,
          description: 'true or false (true keeps uploaded photos in outbox/sent/)',
        },
      },
      'photo outbox limits; the oldest photos are dropped (and counted) first',
    ),
    upload: object(
      {
        bucket: {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
          description: 'S3 bucket name for photos (unset = photos wait in the outbox)',
        },
        region: {
          type: 'string',
          pattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
          default: 'us-east-1',
          description: 'AWS region of the bucket, e.g. eu-west-1',
        },
        endpoint: {
          type: 'string',
          pattern: '^https?://[^\\s/]+(/.*)?$',
          description: 'S3-compatible endpoint URL, e.g. http://127.0.0.1:4568 (unset = AWS)',
        },
        forcePathStyle: { type: 'boolean', default: false, description: 'true or false (path-style URLs)' },
        requestTimeoutMs: integer(1000, 600_000, 30_000, 'milliseconds one upload may take, 1000-600000'),
        backoff: object(
          {
            minMs: integer(
              100,
              600_000,
              1000,
              'first retry delay after a failed upload in milliseconds, 100-600000',
            ),
            maxMs: integer(1000, 3_600_000, 300_000, 'longest retry delay in milliseconds, 1000-3600000'),
          },
          'upload retry backoff',
        ),
        devStaticCredentials: {
          type: 'boolean',
          default: false,
          description: "true or false (local stack only, needs mock: the embedded S3's fixed dev keys)",
        },
      },
      'photo upload to S3',
    ),
    credentials: object(
      {
        endpoint: {
          type: 'string',
          maxLength: 253,
          pattern: HOST_PATTERN,
          description:
            'AWS IoT credential provider host (aws iot describe-endpoint --endpoint-type iot:CredentialProvider)',
        },
        roleAlias: {
          type: 'string',
          pattern: '^[\\w=,@-]{1,128}$',
          description: 'IoT role alias whose role may PutObject to the photo bucket',
        },
        refreshBeforeExpiryMs: integer(
          10_000,
          3_000_000,
          300_000,
          'milliseconds before expiry to fetch new credentials, 10000-3000000',
        ),
      },
      'temporary AWS credentials from the IoT credential provider (no static keys on the device)',
    ),
    control: object(
      {
        port: integer(0, 65535, 0, 'loopback HTTP port for POST /press, 0-65535 (0 = off)'),
      },
      'local control port',
    ),
    provisioning: provisioningSchema,
    // Absolute only: the file is read by the update-agent job long after start-up, from
    // wherever the agent happens to run. Never remote-settable (docs/agent-updates.md).
    updatePublicKeyPath: {
      type: 'string',
      minLength: 2,
      pattern: '^/',
      description:
        'absolute path to the ECDSA P-256 public key (PEM) agent update bundles must be signed with (unset = update-agent jobs fail)',
    },
  },
};
