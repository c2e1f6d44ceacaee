import type { PreProvisioningHookEvent } from '@coffee-iot/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DECISION_BUDGET_MS,
  decidePreProvisioning,
  type SerialAllowList,
  type SerialClaim,
  type SerialClaimOutcome,
} from './pre-provisioning-decision.js';

function hookEvent(
  parameters: Record<string, string>,
  certificateId = 'c'.repeat(64),
): PreProvisioningHookEvent {
  return {
    claimCertificateId: 'a'.repeat(64),
    certificateId,
    certificatePem: '-----BEGIN CERTIFICATE-----\n…',
    templateArn: 'arn:aws:iot:eu-west-1:123456789012:provisioningtemplate/coffee-iot-fleet',
    clientId: 'claim-1',
    parameters,
  };
}

/** The allow-list's contract in memory: atomic claim, idempotent for the same certificate. */
class MemoryAllowList implements SerialAllowList {
  readonly claims: SerialClaim[] = [];
  private readonly usedBy = new Map<string, string | null>();
  constructor(serials: string[]) {
    for (const s of serials) this.usedBy.set(s, null);
  }
  async claim(claim: SerialClaim): Promise<SerialClaimOutcome> {
    this.claims.push(claim);
    if (!this.usedBy.has(claim.serial)) return 'not-listed';
    const owner = this.usedBy.get(claim.serial);
    if (owner !== null && owner !== claim.certificateId) return 'already-used';
    this.usedBy.set(claim.serial, claim.certificateId);
    return 'claimed';
  }
}

const SERIAL = '10000000a1b2c3d4';

describe('decidePreProvisioning', () => {
  afterEach(() => vi.useRealTimers());

  it('allows an allow-listed, unused serial and marks it as used by the new certificate', async () => {
    const list = new MemoryAllowList([SERIAL]);
    const decision = await decidePreProvisioning(hookEvent({ SerialNumber: SERIAL }), list);
    expect(decision.response).toEqual({ allowProvisioning: true });
    expect(decision.outcome).toBe('allowed');
    expect(decision.reason).toContain(`coffee-pi-${SERIAL}`);
    expect(list.claims).toHaveLength(1);
    expect(list.claims[0]).toMatchObject({ serial: SERIAL, certificateId: 'c'.repeat(64) });
  });

  it('refuses a serial that is not on the allow-list', async () => {
    const decision = await decidePreProvisioning(
      hookEvent({ SerialNumber: '10000000deadbeef' }),
      new MemoryAllowList([SERIAL]),
    );
    expect(decision.response.allowProvisioning).toBe(false);
    expect(decision.outcome).toBe('not-listed');
    expect(decision.reason).toBe('serial 10000000deadbeef is not on the allow-list');
  });

  it('refuses a serial already used by another certificate (a cloned SD card), but not a retry of the same one', async () => {
    const list = new MemoryAllowList([SERIAL]);
    await decidePreProvisioning(hookEvent({ SerialNumber: SERIAL }, 'c'.repeat(64)), list);
    const clone = await decidePreProvisioning(hookEvent({ SerialNumber: SERIAL }, 'd'.repeat(64)), list);
    expect(clone.response.allowProvisioning).toBe(false);
    expect(clone.outcome).toBe('already-used');
    const retry = await decidePreProvisioning(hookEvent({ SerialNumber: SERIAL }, 'c'.repeat(64)), list);
    expect(retry.response.allowProvisioning).toBe(true);
  });

  it.each([
    ['a missing', {}],
    ['an empty', { SerialNumber: '' }],
    ['a policy wildcard', { SerialNumber: '1000000*' }],
    ['an MQTT wildcard', { SerialNumber: '10000000+' }],
    ['a path', { SerialNumber: '../coffee-pi-1' }],
    ['a space', { SerialNumber: 'kitchen 1' }],
    ['a 65-character', { SerialNumber: 'a'.repeat(65) }],
    ['a huge', { SerialNumber: 'a'.repeat(5000) }],
  ])('refuses %s serial without asking the allow-list', async (_label, parameters) => {
    const list = new MemoryAllowList(['a'.repeat(5000), 'a'.repeat(65), 'kitchen 1', '1000000*']);
    const decision = await decidePreProvisioning(hookEvent(parameters), list);
    expect(decision.response).toEqual({ allowProvisioning: false });
    expect(decision.outcome).toBe('malformed-serial');
    expect(decision.reason.length).toBeLessThan(200);
    expect(list.claims).toHaveLength(0);
  });

  it.each(['10000000a1b2c3d4', 'kitchen-pi_2', 'A'.repeat(64)])(
    'accepts the serial %s, of the form the agent sends',
    async (serial) => {
      const decision = await decidePreProvisioning(
        hookEvent({ SerialNumber: serial }),
        new MemoryAllowList([serial]),
      );
      expect(decision.outcome).toBe('allowed');
    },
  );

  it('refuses, with the reason, when the allow-list fails', async () => {
    const failing: SerialAllowList = { claim: () => Promise.reject(new Error('connect ETIMEDOUT')) };
    const decision = await decidePreProvisioning(hookEvent({ SerialNumber: SERIAL }), failing);
    expect(decision.response.allowProvisioning).toBe(false);
    expect(decision.outcome).toBe('allow-list-failed');
    expect(decision.reason).toContain('ETIMEDOUT');
  });

  it('refuses within its budget, under the 5 s IoT Core allows, when the allow-list hangs', async () => {
    vi.useFakeTimers();
    const hanging: SerialAllowList = { claim: () => new Promise(() => {}) };
    const pending = decidePreProvisioning(hookEvent({ SerialNumber: SERIAL }), hanging);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(DECISION_BUDGET_MS - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const decision = await pending;
    expect(decision.outcome).toBe('allow-list-too-slow');
    expect(decision.response.allowProvisioning).toBe(false);
    expect(DECISION_BUDGET_MS).toBeLessThan(5_000);
  });
});
