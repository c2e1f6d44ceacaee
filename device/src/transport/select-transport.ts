import type { Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { type AwsIotSdkLoader, createAwsCrtTransport, loadAwsIotSdk } from './aws-crt-transport.js';
import {
  type MqttConnectionOptions,
  type MqttTransport,
  type TransportName,
  TransportUnavailableError,
} from './transport-port.js';

export type TransportChoice = 'auto' | TransportName;

export interface TransportSelectionDeps {
  /** Loads aws-iot-device-sdk-v2; injectable so tests can simulate a board without aws-crt. */
  loadAwsIotSdk?: AwsIotSdkLoader;
  timers?: Timers;
}

/**
 * Builds the configured transport. `auto` prefers aws-crt (the SDK AWS supports) and falls back
 * to MQTT.js only when aws-crt cannot load, which is the normal case on 32-bit ARM. An explicit
 * choice never falls back: if the operator asked for aws-crt, its failure is the answer.
 */
export async function createTransport(
  choice: TransportChoice,
  options: MqttConnectionOptions,
  logger: Logger,
  deps: TransportSelectionDeps = {},
): Promise<MqttTransport> {
  const log = logger.child({ component: 'transport-selection' });
  const awsCrt = () =>
    createAwsCrtTransport(options, {
      logger,
      loadSdk: deps.loadAwsIotSdk ?? loadAwsIotSdk,
      timers: deps.timers,
    });
  // Imported on demand: MQTT.js is a sizeable module tree the aws-crt agent never uses.
  const mqttJs = async () => {
    const { MqttJsTransport } = await import('./mqttjs-transport.js');
    return new MqttJsTransport(options, { logger, timers: deps.timers });
  };

  switch (choice) {
    case 'aws-crt':
      try {
        return await awsCrt();
      } catch (error) {
        if (!(error instanceof TransportUnavailableError)) throw error;
        throw new TransportUnavailableError(
          `transport "aws-crt" is configured but cannot be used here: ${error.message}. ` +
            'Set transport to "auto" or "mqtt.js".',
          { cause: error },
        );
      }
    case 'mqtt.js':
      return mqttJs();
    case 'auto':
      try {
        return await awsCrt();
      } catch (error) {
        if (!(error instanceof TransportUnavailableError)) throw error;
        log.warn(
          { err: error, platform: `${process.platform}-${process.arch}` },
          'aws-crt unavailable on this board; using the mqtt.js transport',
        );
        return mqttJs();
      }
    default:
      throw new TransportUnavailableError(
        `unknown transport "${String(choice satisfies never)}"; expected auto, aws-crt or mqtt.js`,
      );
  }
}
