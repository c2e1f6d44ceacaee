import { join } from 'node:path';
import type { Logger } from '@coffee-iot/device';
import type { EmbeddedBroker } from '../../broker/embedded-broker.js';
import type { DeviceControl } from '../../dashboard/device-control.js';
import { aedesMqtt } from '../../iot-core/in-process-mqtt.js';
import { iotCoreControl } from '../../iot-core/iot-core-control.js';
import { JobsService } from '../../iot-core/jobs-service.js';
import { ShadowService } from '../../iot-core/shadow-service.js';
import type { RunningPart } from '../stack-parts.js';

export interface IotCorePart extends RunningPart {
  shadows: ShadowService;
  jobs: JobsService;
  /** What the dashboard and the CLI drive: config shadows and jobs. */
  control: DeviceControl;
}

/**
 * IoT Core's device shadow and jobs services, locally: they answer the MQTT APIs on the embedded
 * broker in AWS's shapes and keep their documents under `{dataDir}/iot-core/`, so a restarted
 * stack remembers every desired config and every job.
 */
export async function startIotCorePart(options: {
  dataDir: string;
  broker: EmbeddedBroker;
  logger: Logger;
}): Promise<IotCorePart> {
  const directory = join(options.dataDir, 'iot-core');
  const logger = options.logger.child({ part: 'iot-core' });
  const mqtt = aedesMqtt(options.broker.aedes);
  const shadows = new ShadowService({ mqtt, directory: join(directory, 'shadows'), logger });
  const jobs = new JobsService({ mqtt, path: join(directory, 'jobs.json'), logger });
  await shadows.start();
  try {
    await jobs.start();
  } catch (error) {
    await shadows.stop();
    throw error;
  }
  return {
    ready: `device shadows and jobs over MQTT (${directory})`,
    async stop() {
      await jobs.stop();
      await shadows.stop();
    },
    shadows,
    jobs,
    control: iotCoreControl(shadows, jobs),
  };
}
