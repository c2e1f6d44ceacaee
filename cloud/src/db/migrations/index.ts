import type { Migration } from 'kysely';
import * as coffeesAndDevices from './0001-coffees-and-devices.js';
import * as streamBookkeeping from './0002-stream-bookkeeping.js';
import * as provisioningSerials from './0003-provisioning-serials.js';

/**
 * Every migration, in order. Listed in code rather than read from a folder so a bundled Lambda
 * (the deploy-time migration function) carries them; names sort in the order they apply.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-coffees-and-devices': coffeesAndDevices,
  '0002-stream-bookkeeping': streamBookkeeping,
  '0003-provisioning-serials': provisioningSerials,
});

export const LATEST_MIGRATION = '0003-provisioning-serials';
