import type { Client } from 'aedes';
import { describe, expect, it } from 'vitest';
import { OWNERSHIP_TOKEN_TTL_MS, OwnershipTokens } from './ownership-tokens.js';

const asker = { id: 'claim-1' } as Client;
const other = { id: 'claim-2' } as Client;

describe('OwnershipTokens', () => {
  it('redeems a token only on the connection it was issued to, until used', () => {
    const tokens = new OwnershipTokens(() => 0);
    const token = tokens.issue('c'.repeat(64), asker);
    expect(tokens.check(token, other)).toEqual({ problem: expect.stringContaining('another connection') });
    expect(tokens.check(token, asker)).toEqual({ certificateId: 'c'.repeat(64) });
    tokens.consume(token);
    expect(tokens.check(token, asker)).toEqual({
      problem: expect.stringContaining('unknown or already used'),
    });
  });

  it('expires a token after one hour', () => {
    let now = 1_000;
    const tokens = new OwnershipTokens(() => now);
    const token = tokens.issue('c'.repeat(64), asker);
    now += OWNERSHIP_TOKEN_TTL_MS - 1;
    expect(tokens.check(token, asker)).toHaveProperty('certificateId');
    now += 1;
    expect(tokens.check(token, asker)).toEqual({ problem: expect.stringContaining('expired') });
  });

  it('forgets the tokens of a connection that ended', () => {
    const tokens = new OwnershipTokens(() => 0);
    const token = tokens.issue('c'.repeat(64), asker);
    tokens.issue('d'.repeat(64), other);
    tokens.forget(asker);
    expect(tokens.size).toBe(1);
    expect(tokens.check(token, asker)).toHaveProperty('problem');
    expect(tokens.check(undefined, asker)).toEqual({ problem: 'certificateOwnershipToken is missing' });
  });
});
