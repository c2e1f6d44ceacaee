import { CreateThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsFleetControl } from '../../../cloud/src/fleet-control/aws-fleet-control.js';
import { FleetControlError } from '../../../cloud/src/fleet-control/fleet-control-port.js';
import { buildJobDocument } from '../../../cloud/src/fleet-control/job-documents.js';
import { MOTO_SERVER_BIN, MOTO_SKIP_REASON, MotoServer } from '../harness/moto-server.js';

/**
 * The AWS adapter of `coffee-iot devices config` and `coffee-iot jobs` against moto_server's IoT and
 * IoT data plane: named shadows and snapshot jobs, in the shapes the real services answer.
 */
const REGION = 'eu-west-1';

if (MOTO_SERVER_BIN === undefined) console.warn(MOTO_SKIP_REASON);

describe.skipIf(MOTO_SERVER_BIN === undefined)('AwsFleetControl on moto_server', () => {
  let moto: MotoServer;
  let iot: IoTClient;
  let data: IoTDataPlaneClient;
  let fleet: AwsFleetControl;

  beforeAll(async () => {
    moto = await MotoServer.start();
    iot = new IoTClient(moto.clientConfig(REGION));
    data = new IoTDataPlaneClient(moto.clientConfig(REGION));
    fleet = new AwsFleetControl(iot, data, `AWS IoT in ${REGION}`);
    for (const thingName of ['coffee-pi-1', 'coffee-pi-2'])
      await iot.send(new CreateThingCommand({ thingName }));
  });
  afterAll(async () => {
    iot?.destroy();
    data?.destroy();
    await moto?.stop();
  });

  it('reads a thing without a config shadow as empty, version null', async () => {
    expect(await fleet.getConfig('coffee-pi-2')).toEqual({
      thing: 'coffee-pi-2',
      desired: {},
      reported: {},
      delta: {},
      version: null,
    });
  });

  it('sets desired values in the config named shadow and shows what the device has not reported yet', async () => {
    const set = await fleet.setDesiredConfig('coffee-pi-1', { batchSeconds: 10, logLevel: 'debug' });
    expect(set.desired).toEqual({ batchSeconds: 10, logLevel: 'debug' });
    expect(set.delta).toEqual({ batchSeconds: 10, logLevel: 'debug' });

    // The device reports one of them as applied: only the other is still a delta.
    const reported = { state: { reported: { batchSeconds: 10 } } };
    await data.send(
      new UpdateThingShadowCommand({
        thingName: 'coffee-pi-1',
        shadowName: 'config',
        payload: new TextEncoder().encode(JSON.stringify(reported)),
      }),
    );
    const view = await fleet.getConfig('coffee-pi-1');
    expect(view.reported).toEqual({ batchSeconds: 10 });
    expect(view.delta).toEqual({ logLevel: 'debug' });
    expect(view.version).toBeGreaterThanOrEqual(2);
  });

  it('refuses an unknown thing by name, for reads, writes and job targets', async () => {
    await expect(fleet.getConfig('no-such-pi')).rejects.toThrow(/no thing named no-such-pi/);
    await expect(fleet.setDesiredConfig('no-such-pi', { batchSeconds: 5 })).rejects.toBeInstanceOf(
      FleetControlError,
    );
    await expect(
      fleet.createJob({
        jobId: 'job-unknown',
        document: buildJobDocument('restart', {}),
        targets: ['no-such-pi'],
      }),
    ).rejects.toThrow(/no thing named no-such-pi/);
  });

  it('creates a snapshot job for the named things and describes each execution', async () => {
    const document = buildJobDocument('capture-photo', {});
    await fleet.createJob({ jobId: 'photo-now-1', document, targets: ['coffee-pi-1', 'coffee-pi-2'] });

    const job = await fleet.describeJob('photo-now-1');
    expect(job.jobId).toBe('photo-now-1');
    expect(job.document).toEqual({ operation: 'capture-photo' });
    expect(job.executions.map((e) => [e.thing, e.status])).toEqual([
      ['coffee-pi-1', 'QUEUED'],
      ['coffee-pi-2', 'QUEUED'],
    ]);
  });

  it('names a job that does not exist', async () => {
    await expect(fleet.describeJob('never-created')).rejects.toBeInstanceOf(FleetControlError);
  });
});
