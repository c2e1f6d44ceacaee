import { randomBytes } from 'node:crypto';
import type { Client } from 'aedes';

/** IoT Core's certificate ownership tokens expire after one hour. */
export const OWNERSHIP_TOKEN_TTL_MS = 60 * 60 * 1000;
/** A bound on tokens held at once, so a client looping on CreateCertificateFromCsr cannot fill memory. */
const MAX_TOKENS = 10_000;

interface HeldToken {
  readonly certificateId: string;
  /** The connection that received the certificate: only it may redeem the token. */
  readonly client: Client;
  readonly expiresAt: number;
}

export type TokenRedemption = { readonly certificateId: string } | { readonly problem: string };

/**
 * Certificate ownership tokens: CreateCertificateFromCsr hands one out with the certificate, and
 * RegisterThing accepts it only from the same connection, within the hour, once.
 */
export class OwnershipTokens {
  private readonly tokens = new Map<string, HeldToken>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(certificateId: string, client: Client): string {
    this.prune();
    if (this.tokens.size >= MAX_TOKENS) {
      // The oldest goes first; Map keeps insertion order.
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { certificateId, client, expiresAt: this.now() + OWNERSHIP_TOKEN_TTL_MS });
    return token;
  }

  /** Checks the token without using it up (RegisterThing may still be refused by the hook). */
  check(token: unknown, client: Client): TokenRedemption {
    if (typeof token !== 'string' || token.length === 0) {
      return { problem: 'certificateOwnershipToken is missing' };
    }
    const held = this.tokens.get(token);
    if (held === undefined) return { problem: 'certificateOwnershipToken is unknown or already used' };
    if (held.expiresAt <= this.now()) {
      this.tokens.delete(token);
      return { problem: 'certificateOwnershipToken has expired (tokens last one hour)' };
    }
    if (held.client !== client) {
      return { problem: 'certificateOwnershipToken was issued to another connection' };
    }
    return { certificateId: held.certificateId };
  }

  /** Uses the token up, once RegisterThing succeeded. */
  consume(token: string): void {
    this.tokens.delete(token);
  }

  /** Drops the tokens of a connection that ended: nobody else may redeem them. */
  forget(client: Client): void {
    for (const [token, held] of this.tokens) if (held.client === client) this.tokens.delete(token);
  }

  get size(): number {
    return this.tokens.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [token, held] of this.tokens) if (held.expiresAt <= now) this.tokens.delete(token);
  }
}
