import type { Config } from '../config.js';
import type { Client, RefreshFamily, Store } from '../store/types.js';
import { hashToken } from '../crypto/token-hash.js';
import { randomId, randomToken } from '../crypto/random.js';
import { OAuthError } from './errors.js';
import { isSubset } from './scope.js';

export interface FamilyStart {
  client: Client;
  subject: string;
  userId?: string | null;
  orgId?: string | null;
  installationId?: string | null;
  scope: readonly string[];
  claims?: Record<string, unknown> | null;
}

export interface RotationResult {
  token: string;
  family: RefreshFamily;
  scope: string[];
}

/**
 * Refresh tokens: opaque 256-bit values, stored as SHA-256, grouped in families. Every use rotates
 * (RFC 9700 §4.14.2); presenting a rotated token revokes the family. The store does the compare-and-set.
 */
export class RefreshTokenService {
  constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  private lifetimes(client: Client): { absolute: number; idle: number } {
    return { absolute: client.refreshTokenTtl ?? this.config.refreshTokenTtl, idle: client.refreshIdleTtl ?? this.config.refreshIdleTtl };
  }

  async start(f: FamilyStart): Promise<string> {
    const now = this.now();
    const { absolute, idle } = this.lifetimes(f.client);
    const token = randomToken(32);
    const familyExpires = now + absolute;
    await this.store.refreshTokens.createFamily(
      {
        familyId: randomId(16),
        clientId: f.client.clientId,
        subject: f.subject,
        userId: f.userId ?? null,
        orgId: f.orgId ?? null,
        installationId: f.installationId ?? null,
        scope: [...f.scope],
        claims: f.claims ?? null,
        createdAt: now,
        expiresAt: familyExpires,
      },
      { hash: hashToken(token), scope: [...f.scope], createdAt: now, expiresAt: Math.min(now + idle, familyExpires) },
    );
    return token;
  }

  /**
   * Rotates `presented` for `client`. `requestedScope` may narrow the token's scope (RFC 6749 §6), never widen it.
   * `allowedScope`, when given, further caps it (e.g. an installation whose approved scopes changed).
   */
  async rotate(presented: string, client: Client, requestedScope: readonly string[] | undefined, allowedScope?: readonly string[]): Promise<RotationResult> {
    const now = this.now();
    const hash = hashToken(presented);
    const existing = await this.store.refreshTokens.find(hash);
    // Another client's token is treated exactly like an unknown one (RFC 6749 §6: bound to the client).
    if (!existing || existing.family.clientId !== client.clientId) throw OAuthError.invalidGrant('The refresh token is invalid, expired or revoked');
    let scope = existing.token.scope;
    if (allowedScope) scope = scope.filter((s) => allowedScope.includes(s));
    if (requestedScope !== undefined) {
      if (!isSubset(requestedScope, scope)) throw OAuthError.invalidScope('The requested scope exceeds the scope of the refresh token');
      scope = [...requestedScope];
    }
    const { idle } = this.lifetimes(client);
    const token = randomToken(32);
    const outcome = await this.store.refreshTokens.rotate(
      hash,
      { hash: hashToken(token), scope, createdAt: now, expiresAt: Math.min(now + idle, existing.family.expiresAt) },
      now,
      client.refreshReuseInterval,
    );
    switch (outcome.kind) {
      case 'rotated':
      case 'retried':
        return { token, family: outcome.family, scope };
      case 'reused':
        throw OAuthError.invalidGrant('The refresh token was already used; its token family has been revoked');
      case 'invalid':
        throw OAuthError.invalidGrant('The refresh token is invalid, expired or revoked');
    }
  }
}
