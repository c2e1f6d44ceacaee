import { afterAll, beforeAll } from 'vitest';
import { openMysqlDatabase } from '../../../cloud/src/db/index.js';
import { MariaDbServer } from '../harness/mariadb.js';
import { describeSerialAllowList } from './serial-allow-list-contract.js';

let server: MariaDbServer;

beforeAll(async () => {
  server = await MariaDbServer.create();
  await server.start();
});

afterAll(async () => {
  await server?.cleanup();
});

describeSerialAllowList('MariaDB', async () => {
  const connection = await server.createDatabase('serials');
  return {
    open: async () => openMysqlDatabase({ ...connection, ssl: false, connectTimeoutMs: 2_000 }),
    cleanup: async () => {},
  };
});
