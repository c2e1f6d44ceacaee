import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { afterAll, beforeAll } from 'vitest';
import { openDataApiDatabase } from '../../../cloud/src/db/index.js';
import { FakeRdsDataApi } from '../harness/fake-rds-data-api.js';
import { MariaDbServer } from '../harness/mariadb.js';
import { describeSerialAllowList } from './serial-allow-list-contract.js';

/*
 * The allow-list as the hook uses it in the small profile: through the RDS Data API (answered by
 * MariaDB), including an auto-paused cluster answering DatabaseResumingException.
 */
const CLUSTER_ARN = 'arn:aws:rds:eu-west-1:123456789012:cluster:coffee-iot';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coffee-db-AbCdEf';

let server: MariaDbServer;

beforeAll(async () => {
  server = await MariaDbServer.create();
  await server.start();
});

afterAll(async () => {
  await server?.cleanup();
});

describeSerialAllowList(
  'the RDS Data API (answered by MariaDB)',
  async () => {
    const { database, ...mariadb } = await server.createDatabase('serialsapi');
    const api = new FakeRdsDataApi({ mariadb, clusterArn: CLUSTER_ARN, secretArn: SECRET_ARN });
    const client = new RDSDataClient({
      endpoint: await api.start(),
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      maxAttempts: 1,
    });
    return {
      open: async () =>
        openDataApiDatabase({ client, resourceArn: CLUSTER_ARN, secretArn: SECRET_ARN, database }),
      pause: () => api.pause(),
      resume: async () => api.resume(),
      cleanup: async () => {
        client.destroy();
        await api.stop();
      },
    };
  },
  { canPause: true },
);
