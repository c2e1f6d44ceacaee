import { afterAll, beforeAll } from 'vitest';
import { openMysqlDatabase } from '../../../cloud/src/db/index.js';
import { MariaDbServer } from '../harness/mariadb.js';
import { describeCoffeeDatabase } from './coffee-database-contract.js';

let server: MariaDbServer;

beforeAll(async () => {
  server = await MariaDbServer.create();
  await server.start();
});

afterAll(async () => {
  await server?.cleanup();
});

describeCoffeeDatabase('MariaDB', async () => {
  const connection = await server.createDatabase();
  return {
    open: () => openMysqlDatabase({ ...connection, ssl: false, connectTimeoutMs: 2_000 }),
    takeDown: () => server.stop(),
    bringBack: () => server.start(),
    cleanup: async () => {},
  };
});
