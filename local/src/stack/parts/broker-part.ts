import type { IngestStream } from '@coffee-iot/cloud';
import type { Logger } from '@coffee-iot/device';
import { DEFAULT_TOPIC_PREFIX } from '@coffee-iot/shared';
import { tapBroker } from '../../broker/broker-taps.js';
import { EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { CertificateGate } from '../../broker/thing-policy.js';
import type { LiveDashboardSource } from '../../live/live-dashboard-source.js';
import type { DevPkiPaths } from '../../pki/pki.js';
import { DeviceMessageRule } from '../../rules/device-message-rule.js';
import { LakeRuleErrors } from '../../rules/rule-error-sink.js';
import { TelemetryRule } from '../../rules/telemetry-rule.js';
import { listenOrExplain } from '../stack-errors.js';
import type { RunningPart } from '../stack-parts.js';

export interface BrokerPart extends RunningPart {
  broker: EmbeddedBroker;
  rule: TelemetryRule;
  deviceMessages: DeviceMessageRule;
  ruleErrors: LakeRuleErrors;
}

/**
 * IoT Core, locally: the broker with the thing policy enforced, the telemetry topic rule into the
 * ingest stream, and device lifecycle and health for the dashboard. What the rules refuse goes to
 * the lake's errors/rule/ (their error action).
 */
export async function startBrokerPart(options: {
  pki: DevPkiPaths;
  port: number;
  stream: IngestStream;
  streamName: string;
  lakeDir: string;
  live: LiveDashboardSource;
  /** The certificate registry every CONNECT is checked against (IoT Core's). */
  certificates?: CertificateGate;
  logger: Logger;
}): Promise<BrokerPart> {
  const { live, logger } = options;
  const prefix = DEFAULT_TOPIC_PREFIX;
  const broker = new EmbeddedBroker({
    port: options.port,
    caPath: options.pki.caPath,
    certPath: options.pki.server.certPath,
    keyPath: options.pki.server.keyPath,
    logger: logger.child({ part: 'broker' }),
    thingPolicy: {
      topicPrefix: prefix,
      ...(options.certificates ? { certificates: options.certificates } : {}),
    },
  });
  await listenOrExplain('MQTT broker', options.port, '--port', () => broker.start());
  const ruleLogger = logger.child({ part: 'topic-rule' });
  const ruleErrors = new LakeRuleErrors({ lakeDir: options.lakeDir, logger: ruleLogger });
  const rule = new TelemetryRule({
    stream: options.stream,
    streamName: options.streamName,
    errors: ruleErrors,
    logger: ruleLogger,
  });
  const deviceMessages = new DeviceMessageRule({ errors: ruleErrors, logger: ruleLogger });
  tapBroker(
    broker.aedes,
    prefix,
    {
      telemetry: (thing, payload, arrival) => rule.onMessage(thing, payload, arrival),
      health: (message) => live.onHealth(message),
      deviceMessages,
      anyMessage: (thing) => live.onDeviceMessage(thing),
      connected: (thing) => live.onConnected(thing),
      disconnected: (thing) => live.onDisconnected(thing),
    },
    logger,
  );
  rule.start();
  ruleErrors.start();
  return {
    ready: `mqtts://127.0.0.1:${broker.port} (mutual TLS; rule ${prefix}/+/telemetry → Kinesis)`,
    async stop() {
      // Devices first, then what the rule still holds goes to the stream.
      await broker.stop();
      await rule.stop();
      await ruleErrors.stop();
    },
    broker,
    rule,
    deviceMessages,
    ruleErrors,
  };
}
