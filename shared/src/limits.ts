/**
 * AWS IoT Core data-plane quotas that the device must respect.
 * https://docs.aws.amazon.com/general/latest/gr/iot-core.html
 */
export const IOT_CORE_LIMITS = {
  /** Publish requests per second per connection. */
  publishesPerSecond: 100,
  /** Maximum MQTT payload size in bytes (128 KB). */
  maxPayloadBytes: 128 * 1024,
  /** Unacknowledged QoS 1 messages per client. */
  maxInFlight: 100,
  /** Maximum topic length in bytes (UTF-8). */
  maxTopicBytes: 256,
  /** Forward slashes allowed in a topic, not counting the reserved `$aws/` prefix. */
  maxTopicSlashes: 7,
} as const;
