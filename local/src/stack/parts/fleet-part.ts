import { join } from 'node:path';
import type { Logger } from '@coffee-iot/device';
import { waitForClients } from '../../broker/broker-taps.js';
import type { EmbeddedBroker } from '../../broker/embedded-broker.js';
import { writeDeviceConfig } from '../../fleet/device-configs.js';
import { FleetProcess } from '../../fleet/fleet-process.js';
import type { DevPkiPaths } from '../../pki/pki.js';
import type { LocalStackOptions } from '../stack-options.js';
import type { RunningPart } from '../stack-parts.js';
import { ensureControlPortFree } from './control-port.js';

export interface FleetPart extends RunningPart {
  fleet: FleetProcess;
}

/**
 * The simulated devices: an agent.json per thing, written as on a Pi, and one process running
 * them all. Ready once every device is connected to the broker.
 */
export async function startFleetPart(options: {
  things: readonly string[];
  dataDir: string;
  pki: DevPkiPaths;
  broker: EmbeddedBroker;
  s3Endpoint: string;
  stack: Pick<LocalStackOptions, 'controlPort' | 'countdownSeconds' | 'agentLogLevel'>;
  logger: Logger;
}): Promise<FleetPart> {
  const { things, dataDir, pki, stack } = options;
  await ensureControlPortFree(stack.controlPort);
  const configPaths: string[] = [];
  for (const [index, thingName] of things.entries()) {
    const certificate = pki.clients[thingName];
    if (certificate === undefined) throw new Error(`dev PKI has no certificate for ${thingName}`);
    configPaths.push(
      await writeDeviceConfig(join(dataDir, 'devices'), {
        thingName,
        certificate,
        caPath: pki.caPath,
        brokerPort: options.broker.port,
        s3Endpoint: options.s3Endpoint,
        // One control port: the first device keeps `curl -X POST …/press` working.
        controlPort: index === 0 ? stack.controlPort : 0,
        countdownSeconds: stack.countdownSeconds,
        logLevel: stack.agentLogLevel,
      }),
    );
  }
  const fleet = new FleetProcess({
    specPath: join(dataDir, 'devices', 'fleet.json'),
    spec: { configPaths, logLevel: stack.agentLogLevel },
    thingNames: things,
    logger: options.logger.child({ part: 'fleet' }),
  });
  await fleet.start();
  try {
    await waitForClients(options.broker.aedes, things, 30_000 + things.length * 100);
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  const first = things[0];
  const control =
    stack.controlPort > 0 ? `; ${first} also on POST http://127.0.0.1:${stack.controlPort}/press` : '';
  const range = things.length > 1 ? `${first} … ${things.at(-1)}` : first;
  return {
    ready: `${things.length} simulated (${range}), connected${control}`,
    stop: () => fleet.stop(),
    fleet,
  };
}
