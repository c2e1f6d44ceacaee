import { THING_NAME_PATTERN } from '@coffee-iot/shared';
import type { Selectable } from 'kysely';
import type { CoffeeDatabase } from './coffee-database.js';
import { unavailableAsError } from './database-errors.js';
import type { DevicesTable } from './schema.js';
import { fromDbTime, fromDbTimeOrNull, toDbTime } from './time.js';

/** A registered device, as the CLI and the stats enrichment see it. Times are ISO-8601 UTC. */
export interface Device {
  thingName: string;
  owner: string | null;
  location: string | null;
  model: string | null;
  /** First and last coffee photo seen; null until the device sent one. */
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  updatedAt: string;
}

/** Fields to change; a field left out stays as it is, null clears it. */
export interface DeviceChanges {
  owner?: string | null;
  location?: string | null;
  model?: string | null;
}

export interface DeviceRepository {
  getDevice(thingName: string): Promise<Device | null>;
  /** Every device, ordered by thing name. */
  listDevices(): Promise<Device[]>;
  /** Creates the device if it is not registered yet (never seen), then applies the changes. */
  setDevice(thingName: string, changes: DeviceChanges, now: Date): Promise<Device>;
}

export class InvalidDeviceChangeError extends Error {
  override readonly name = 'InvalidDeviceChangeError';
  constructor(
    readonly thingName: string,
    readonly problems: readonly string[],
  ) {
    super(`cannot change device "${thingName}": ${problems.join('; ')}`);
  }
}

const FIELDS = ['owner', 'location', 'model'] as const;
/** The columns are varchar(200); MySQL counts characters, so code points are counted here too. */
export const DEVICE_FIELD_MAX_LENGTH = 200;

function validChanges(thingName: string, changes: DeviceChanges): DeviceChanges {
  const problems: string[] = [];
  if (!THING_NAME_PATTERN.test(thingName)) problems.push(`thing name must match ${THING_NAME_PATTERN}`);
  const given: DeviceChanges = {};
  for (const [field, value] of Object.entries(changes)) {
    if (!(FIELDS as readonly string[]).includes(field)) {
      problems.push(`unknown field "${field}" (known: ${FIELDS.join(', ')})`);
    } else if (value === undefined) {
      // Left out: unchanged.
    } else if (value === null) {
      given[field as keyof DeviceChanges] = null;
    } else if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${field} must be a non-empty string, or null to clear it`);
    } else if ([...value].length > DEVICE_FIELD_MAX_LENGTH) {
      problems.push(`${field} must be at most ${DEVICE_FIELD_MAX_LENGTH} characters`);
    } else {
      given[field as keyof DeviceChanges] = value;
    }
  }
  if (problems.length === 0 && Object.keys(given).length === 0) {
    problems.push(`give at least one of ${FIELDS.join(', ')}`);
  }
  if (problems.length > 0) throw new InvalidDeviceChangeError(thingName, problems);
  return given;
}

function toDevice(row: Selectable<DevicesTable>): Device {
  return {
    thingName: row.thing_name,
    owner: row.owner,
    location: row.location,
    model: row.model,
    firstSeenAt: fromDbTimeOrNull(row.first_seen_at),
    lastSeenAt: fromDbTimeOrNull(row.last_seen_at),
    updatedAt: fromDbTime(row.updated_at),
  };
}

export function createDeviceRepository(database: CoffeeDatabase): DeviceRepository {
  const { db, dialect } = database;
  return {
    getDevice: (thingName) =>
      unavailableAsError(`getDevice ${thingName}`, async () => {
        const row = await db
          .selectFrom('devices')
          .selectAll()
          .where('thing_name', '=', thingName)
          .executeTakeFirst();
        return row === undefined ? null : toDevice(row);
      }),

    listDevices: () =>
      unavailableAsError('listDevices', async () => {
        const rows = await db.selectFrom('devices').selectAll().orderBy('thing_name').execute();
        return rows.map(toDevice);
      }),

    setDevice: async (thingName, changes, now) => {
      const given = validChanges(thingName, changes);
      return unavailableAsError(`setDevice ${thingName}`, () =>
        db.transaction().execute(async (trx) => {
          const updatedAt = toDbTime(now);
          const insert = trx.insertInto('devices').values({
            thing_name: thingName,
            owner: null,
            location: null,
            model: null,
            first_seen_at: null,
            last_seen_at: null,
            ...given,
            updated_at: updatedAt,
          });
          const updates = { ...given, updated_at: updatedAt };
          await (dialect === 'mysql'
            ? insert.onDuplicateKeyUpdate(updates)
            : insert.onConflict((conflict) => conflict.column('thing_name').doUpdateSet(updates))
          ).execute();
          const row = await trx
            .selectFrom('devices')
            .selectAll()
            .where('thing_name', '=', thingName)
            .executeTakeFirstOrThrow();
          return toDevice(row);
        }),
      );
    },
  };
}
