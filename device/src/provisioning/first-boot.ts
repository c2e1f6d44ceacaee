import type { AgentConfig } from '../config/agent-config.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { createTransport } from '../transport/select-transport.js';
import type { MqttConnectionOptions, MqttTransport } from '../transport/transport-port.js';
import { provisionByClaim } from './claim-provisioning.js';
import type { IdentityWriterFs } from './identity-store.js';
import { type ReadText, readSerialNumber } from './serial-number.js';

export interface FirstBootOptions {
  logger: Logger;
  clock: Clock;
  timers: Timers;
  /** Builds the claim connection; default: the configured transport. */
  createClaimTransport?: (options: MqttConnectionOptions) => Promise<MqttTransport>;
  readText?: ReadText;
  writerFs?: IdentityWriterFs;
  signal?: AbortSignal;
}

/**
 * The configuration the agent runs with. A device set up by hand, or one provisioned on an earlier
 * boot (loadConfig filled thingName, cert and key from {stateDir}/identity/), runs as configured.
 * On the first boot of a claim image, it provisions first and runs with the new identity at once,
 * without a restart.
 */
export async function provisionIfNeeded(
  config: AgentConfig,
  options: FirstBootOptions,
): Promise<AgentConfig> {
  const { provisioning } = config;
  if (!provisioning || config.thingName !== '') return config;
  const serialNumber =
    provisioning.serialNumber ?? (await readSerialNumber(provisioning.serialSource, options.readText));
  const connection: MqttConnectionOptions = {
    endpoint: config.endpoint,
    port: config.port,
    // IoT Core's claim policy typically binds the client id to the serial; it is unique per Pi.
    clientId: serialNumber,
    certPath: provisioning.claimCert,
    keyPath: provisioning.claimKey,
    caPath: config.rootCa,
    keepAliveSeconds: config.keepAliveSeconds,
    connectTimeoutMs: config.connectTimeoutMs,
  };
  const transport = options.createClaimTransport
    ? await options.createClaimTransport(connection)
    : await createTransport(config.transport, connection, options.logger, { timers: options.timers });
  const identity = await provisionByClaim({
    transport,
    templateName: provisioning.templateName,
    serialNumber,
    stateDir: config.stateDir,
    requestTimeoutMs: provisioning.requestTimeoutMs,
    clock: options.clock,
    timers: options.timers,
    logger: options.logger.child({ component: 'provisioning' }),
    ...(options.writerFs ? { writerFs: options.writerFs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { ...config, thingName: identity.thingName, cert: identity.cert, key: identity.key };
}
