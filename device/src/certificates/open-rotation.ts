import type { AgentConfig } from '../config/agent-config.js';
import type { Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { MqttTransport } from '../transport/transport-port.js';
import { CertificateRotation } from './certificate-rotation.js';
import { ReconnectingTransport } from './reconnecting-transport.js';
import { RotateCertHandler } from './rotate-cert-handler.js';
import { RotationFiles } from './rotation-files.js';

/**
 * How long a new certificate has to connect before the previous one is put back: covers the
 * cloud attaching it after the `issued` report (a rule and a Lambda, seconds) and a few
 * reconnect attempts with backoff.
 */
export const ROTATION_CONNECT_DEADLINE_MS = 120_000;
const CSR_REQUEST_TIMEOUT_MS = 30_000;

export interface OpenedRotation {
  /** The agent's transport: the given one, able to force a reconnect after a switch. */
  readonly transport: MqttTransport;
  /** A ConnectionService for the agent. */
  readonly service: CertificateRotation;
  /** The `rotate-cert` job handler, for the jobs service's allow-list. */
  readonly handler: RotateCertHandler;
}

/**
 * Certificate rotation as the runner wires it. Finishes whatever a crash interrupted before
 * returning, so call it before the agent's first connect.
 */
export async function openCertificateRotation(
  config: AgentConfig,
  transport: MqttTransport,
  options: { logger: Logger; timers: Timers },
): Promise<OpenedRotation> {
  const reconnecting = new ReconnectingTransport(transport);
  const service = new CertificateRotation({
    files: new RotationFiles({ cert: config.cert, key: config.key }),
    thingName: config.thingName,
    topicPrefix: config.topicPrefix,
    reconnect: (reason) => reconnecting.reconnect(reason),
    timers: options.timers,
    logger: options.logger.child({ component: 'certificate-rotation' }),
    connectDeadlineMs: ROTATION_CONNECT_DEADLINE_MS,
    requestTimeoutMs: CSR_REQUEST_TIMEOUT_MS,
  });
  await service.recover();
  return { transport: reconnecting, service, handler: new RotateCertHandler(service, config.thingName) };
}
