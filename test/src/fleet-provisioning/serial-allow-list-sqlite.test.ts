import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase } from '../../../cloud/src/db/index.js';
import { describeSerialAllowList } from './serial-allow-list-contract.js';

describeSerialAllowList('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'coffee-iot-serials-'));
  return {
    open: async () => openSqliteDatabase(join(dir, 'coffee.db')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
