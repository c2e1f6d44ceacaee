import { join } from 'node:path';
import {
  type CoffeeDatabase,
  type CoffeeRepository,
  createCoffeeRepository,
  createDeviceRepository,
  type DeviceRepository,
  migrateToLatest,
  openDatabaseFromUrl,
  openSqliteDatabase,
} from '@coffee-iot/cloud';
import { MissingNativeModuleError } from '../stack-errors.js';
import type { RunningPart } from '../stack-parts.js';

export interface DatabasePart extends RunningPart {
  database: CoffeeDatabase;
  /** What `coffee-iot --database` takes to reach the same database. */
  url: string;
  coffees: CoffeeRepository;
  devices: DeviceRepository;
}

/** The registry and coffees database, migrated: SQLite in the data directory, or `--mysql URL`. */
export async function startDatabasePart(
  dataDir: string,
  mysqlUrl: string | undefined,
): Promise<DatabasePart> {
  const opened = await openStackDatabase(dataDir, mysqlUrl);
  try {
    await migrateToLatest(opened.database.db);
  } catch (error) {
    await opened.database.close();
    throw error;
  }
  return {
    ready: opened.description,
    stop: () => opened.database.close(),
    database: opened.database,
    url: opened.url,
    coffees: createCoffeeRepository(opened.database),
    devices: createDeviceRepository(opened.database),
  };
}

async function openStackDatabase(
  dataDir: string,
  mysqlUrl: string | undefined,
): Promise<{ database: CoffeeDatabase; description: string; url: string }> {
  if (mysqlUrl !== undefined) {
    const database = await openDatabaseFromUrl(mysqlUrl);
    return { database, description: `MySQL ${redactPassword(mysqlUrl)}`, url: mysqlUrl };
  }
  const path = join(dataDir, 'coffee-iot.sqlite');
  try {
    return { database: openSqliteDatabase(path), description: `SQLite ${path}`, url: `sqlite:${path}` };
  } catch (error) {
    if (
      (error as Error).message.includes('better_sqlite3.node') ||
      (error as NodeJS.ErrnoException).code === 'ERR_DLOPEN_FAILED'
    ) {
      throw new MissingNativeModuleError(
        'better-sqlite3',
        'the embedded database cannot open (coffees and devices have nowhere to go)',
        'Run `npm rebuild better-sqlite3` (needs build-essential and python3), or use a MySQL server with --mysql URL.',
        { cause: error },
      );
    }
    throw error;
  }
}

/** The URL as the terminal may show it. */
export function redactPassword(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
