import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CoffeeDatabase } from '../../../cloud/src/db/index.js';
import { migrateToLatest } from '../../../cloud/src/db/index.js';
import {
  decidePreProvisioning,
  type SerialClaim,
} from '../../../cloud/src/fleet-provisioning/pre-provisioning-decision.js';
import {
  createSqlSerialAllowList,
  InvalidSerialError,
  type SerialAllowListAdmin,
} from '../../../cloud/src/fleet-provisioning/sql-serial-allow-list.js';

/** One fresh, empty database per test. */
export interface AllowListTarget {
  open(): Promise<CoffeeDatabase>;
  cleanup(): Promise<void>;
  /** Makes the database unavailable (an Aurora cluster auto-paused) and back, where the target can. */
  pause?(): Promise<void>;
  resume?(): Promise<void>;
}

const NOW = new Date('2026-12-07T10:00:00.000Z');
const SERIAL = '10000000a1b2c3d4';
const CERT_A = 'a'.repeat(64);
const CERT_B = 'b'.repeat(64);
const CLAIM_CERT = 'c'.repeat(64);

const claim = (serial: string, certificateId: string): SerialClaim => ({
  serial,
  certificateId,
  claimCertificateId: CLAIM_CERT,
  at: NOW,
});

/** The serial allow-list's behaviour on one database engine. */
export function describeSerialAllowList(
  engine: string,
  createTarget: () => Promise<AllowListTarget>,
  { canPause = false }: { canPause?: boolean } = {},
): void {
  describe(`serial allow-list on ${engine}`, () => {
    let target: AllowListTarget;
    let database: CoffeeDatabase;
    let list: SerialAllowListAdmin;

    beforeEach(async () => {
      target = await createTarget();
      database = await target.open();
      await migrateToLatest(database.db);
      list = createSqlSerialAllowList(database);
    });

    afterEach(async () => {
      await database.close();
      await target.cleanup();
    });

    it('claims a listed serial once: the first certificate gets it, another is refused, the same one again is not', async () => {
      expect(await list.allow([SERIAL], 'batch 1', NOW)).toBe(1);
      expect(await list.claim(claim(SERIAL, CERT_A))).toBe('claimed');
      expect(await list.claim(claim(SERIAL, CERT_B))).toBe('already-used');
      expect(await list.claim(claim(SERIAL, CERT_A))).toBe('claimed');
      expect(await list.list()).toEqual([
        {
          serial: SERIAL,
          note: 'batch 1',
          allowedAt: '2026-12-07T10:00:00.000Z',
          certificateId: CERT_A,
          claimedAt: '2026-12-07T10:00:00.000Z',
        },
      ]);
    });

    it('answers not-listed for a serial nobody allowed, and creates no row for it', async () => {
      expect(await list.claim(claim('10000000deadbeef', CERT_A))).toBe('not-listed');
      expect(await list.list()).toEqual([]);
    });

    it('lets exactly one of two simultaneous claims of one serial through', async () => {
      await list.allow([SERIAL], null, NOW);
      const outcomes = await Promise.all([
        list.claim(claim(SERIAL, CERT_A)),
        list.claim(claim(SERIAL, CERT_B)),
      ]);
      expect(outcomes.sort()).toEqual(['already-used', 'claimed']);
    });

    it('keeps serials that differ only in case apart, as the template’s thing names are', async () => {
      expect(await list.allow(['kitchen-a', 'KITCHEN-A'], null, NOW)).toBe(2);
      expect(await list.claim(claim('kitchen-a', CERT_A))).toBe('claimed');
      expect(await list.claim(claim('KITCHEN-A', CERT_B))).toBe('claimed');
      expect(await list.claim(claim('Kitchen-A', CERT_B))).toBe('not-listed');
    });

    it('adds serials again without touching a claim, and refuses malformed ones all at once', async () => {
      await list.allow([SERIAL], null, NOW);
      await list.claim(claim(SERIAL, CERT_A));
      expect(await list.allow([SERIAL, '10000000deadbeef', '10000000deadbeef'], 'batch 2', NOW)).toBe(1);
      expect((await list.list()).map((row) => [row.serial, row.certificateId])).toEqual([
        ['10000000a1b2c3d4', CERT_A],
        ['10000000deadbeef', null],
      ]);
      await expect(list.allow(['10000000DEADBEEF', 'x y', ''], null, NOW)).rejects.toThrow(
        InvalidSerialError,
      );
      expect(await list.list()).toHaveLength(2);
    });

    it('makes a released serial provisionable again, and a removed one not at all', async () => {
      await list.allow([SERIAL], null, NOW);
      await list.claim(claim(SERIAL, CERT_A));
      expect(await list.release(SERIAL)).toBe(true);
      expect(await list.release(SERIAL)).toBe(false);
      expect(await list.claim(claim(SERIAL, CERT_B))).toBe('claimed');
      expect(await list.remove(SERIAL)).toBe(true);
      expect(await list.claim(claim(SERIAL, CERT_B))).toBe('not-listed');
    });

    it('decides hook events end to end: allowed, then a clone of the same SD card refused', async () => {
      await list.allow([SERIAL], null, NOW);
      const event = (certificateId: string) => ({
        claimCertificateId: CLAIM_CERT,
        certificateId,
        certificatePem: '',
        templateArn: 'arn:aws:iot:eu-west-1:123456789012:provisioningtemplate/coffee-iot-fleet',
        clientId: 'claim',
        parameters: { SerialNumber: SERIAL },
      });
      expect((await decidePreProvisioning(event(CERT_A), list)).outcome).toBe('allowed');
      expect((await decidePreProvisioning(event(CERT_B), list)).outcome).toBe('already-used');
    });

    // Only where the target can take its database away and back (pause and resume).
    if (canPause) {
      it('refuses while the database cannot answer, saying the device may retry, and allows the retry once it is back', async () => {
        if (!target.pause || !target.resume)
          throw new Error(`${engine}: canPause without pause() and resume()`);
        await list.allow([SERIAL], null, NOW);
        const event = {
          claimCertificateId: CLAIM_CERT,
          certificateId: CERT_A,
          certificatePem: '',
          templateArn: 'arn:aws:iot:eu-west-1:123456789012:provisioningtemplate/coffee-iot-fleet',
          clientId: SERIAL,
          parameters: { SerialNumber: SERIAL },
        };
        await target.pause();
        const refused = await decidePreProvisioning(event, list);
        expect(refused).toMatchObject({
          outcome: 'allow-list-failed',
          response: { allowProvisioning: false },
        });
        expect(refused.reason).toMatch(/may retry/);
        await target.resume();
        expect((await decidePreProvisioning(event, list)).outcome).toBe('allowed');
      });
    }
  });
}
