import type { Config } from '../config.js';
import type { Client, Confirmation, Installation, Organization, RefreshFamily, Store, User } from '../store/types.js';
import { hashToken } from '../crypto/token-hash.js';
import { randomId, randomToken } from '../crypto/random.js';
import { OAuthError } from './errors.js';
import { isSubset } from './scope.js';
import type { RevokedFamilies } from './revoked-families.js';

export interface FamilyStart {
  /** Pre-chosen family id, so the first access token can name its family (revocation then reaches it). */
  familyId?: string;
  client: Client;
  subject: string;
  userId?: string | null;
  orgId?: string | null;
  installationId?: string | null;
  scope: readonly string[];
  claims?: Record<string, unknown> | null;
  /** RFC 8707: the audiences asked for at the start (undefined = the default), remembered by the family. */
  audience?: readonly string[] | undefined;
  /** The key the family's refresh tokens are bound to (confirmation.ts familyBinding); null = unbound. */
  confirmation?: Confirmation | null;
}

/**
 * What a family may still be granted now, as a refresh policy found it: a cap on the refreshed token's scope
 * (undefined = no cap beyond the token's own) and the family's user, looked up by the policy (null for a family
 * without one), which the new access token names.
 */
export interface RefreshAllowance {
  cap: readonly string[] | undefined;
  user: User | null;
  /** An org family's current organisation and installation (from the caches), for the refreshed token's claims. */
  org?: Organization | null;
  installation?: Installation | null;
}

/** Decides a family's allowance once the presented token is found; refuses by throwing an OAuthError. */
export type RefreshPolicy = (family: RefreshFamily) => Promise<RefreshAllowance>;

export interface RotationResult {
  token: string;
  family: RefreshFamily;
  scope: string[];
  /** The policy's user (null without a policy or without a user). */
  user: User | null;
  /** The policy's organisation and installation (null without a policy or for a family without an installation). */
  org: Organization | null;
  installation: Installation | null;
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
    /** This node's set learns of the revocations it makes at once; other nodes from the change feed. */
    private readonly revoked: RevokedFamilies,
  ) {}

  /**
   * A family bound to an installation (org tokens, Cobo's "Org Access Token") has no idle timeout of its own unless
   * the client sets one: Cobo documents its refresh token as living 30 days (the absolute lifetime), and such a
   * family needs no idle cut-off to be withdrawn, since revoking the installation revokes it at once.
   */
  private lifetimes(client: Client, installationBound: boolean): { absolute: number; idle: number } {
    const absolute = client.refreshTokenTtl ?? this.config.refreshTokenTtl;
    return { absolute, idle: client.refreshIdleTtl ?? (installationBound ? absolute : this.config.refreshIdleTtl) };
  }

  async start(f: FamilyStart): Promise<string> {
    const now = this.now();
    const { absolute, idle } = this.lifetimes(f.client, (f.installationId ?? null) !== null);
    const token = randomToken(32);
    const familyExpires = now + absolute;
    await this.store.refreshTokens.createFamily(
      {
        familyId: f.familyId ?? randomId(16),
        clientId: f.client.clientId,
        subject: f.subject,
        userId: f.userId ?? null,
        orgId: f.orgId ?? null,
        installationId: f.installationId ?? null,
        scope: [...f.scope],
        claims: f.claims ?? null,
        audience: f.audience ? [...f.audience] : null,
        confirmation: f.confirmation ?? null,
        createdAt: now,
        expiresAt: familyExpires,
      },
      { hash: hashToken(token), scope: [...f.scope], createdAt: now, expiresAt: Math.min(now + idle, familyExpires) },
    );
    return token;
  }

  /**
   * Binds a family that is still unbound (RFC 9449 §5: a public client's family started without a DPoP proof, at its
   * first refresh with one); returns what the family is bound to afterwards, which a concurrent refresh may have set.
   */
  bindFamily(familyId: string, confirmation: Confirmation): Promise<Confirmation | null> {
    return this.store.refreshTokens.bindFamily(familyId, confirmation);
  }

  /**
   * Rotates `presented` for `client`. `requestedScope` may narrow the token's scope (RFC 6749 §6), never widen it.
   * `policy`, when given, is called with the token's family after the token is found and before it rotates, so it
   * can cap the scope (e.g. an installation whose approved scopes changed) or refuse, by throwing, without a
   * second lookup (grants/refresh-token.ts); its user comes back with the result. `onReuse` is told of a detected
   * reuse (the family is revoked by then), so the caller, who knows the request, can report it.
   */
  async rotate(presented: string, client: Client, requestedScope: readonly string[] | undefined, policy?: RefreshPolicy, onReuse?: (family: RefreshFamily) => void): Promise<RotationResult> {
    const now = this.now();
    const hash = hashToken(presented);
    const existing = await this.store.refreshTokens.find(hash);
    // Another client's token is treated exactly like an unknown one (RFC 6749 §6: bound to the client).
    if (!existing || existing.family.clientId !== client.clientId) throw OAuthError.invalidGrant('The refresh token is invalid, expired or revoked');
    const allowance = policy === undefined ? undefined : await policy(existing.family);
    const cap = allowance?.cap;
    // RFC 6749 §6: the new refresh token keeps the presented token's scope (minus what policy no longer allows);
    // a requested narrower scope applies to the access token only.
    const tokenScope = cap ? existing.token.scope.filter((s) => cap.includes(s)) : existing.token.scope;
    let scope = tokenScope;
    if (requestedScope !== undefined) {
      if (!isSubset(requestedScope, tokenScope)) throw OAuthError.invalidScope('The requested scope exceeds the scope of the refresh token');
      scope = [...requestedScope];
    }
    const { idle } = this.lifetimes(client, existing.family.installationId !== null);
    const token = randomToken(32);
    const outcome = await this.store.refreshTokens.rotate(
      hash,
      { hash: hashToken(token), scope: tokenScope, createdAt: now, expiresAt: Math.min(now + idle, existing.family.expiresAt) },
      now,
      client.refreshReuseInterval,
    );
    switch (outcome.kind) {
      case 'rotated':
      case 'retried':
        return { token, family: outcome.family, scope, user: allowance?.user ?? null, org: allowance?.org ?? null, installation: allowance?.installation ?? null };
      case 'reused':
        // RFC 9700 §4.14.2 / RFC 7009 §2.1: the family's access tokens go too: opaque ones are deleted, JWTs
        // introspect inactive while the family is in the revoked set.
        this.revoked.add(existing.family.familyId, now);
        await this.store.accessTokens.deleteOpaqueByFamily(existing.family.familyId);
        onReuse?.(existing.family);
        throw OAuthError.invalidGrant('The refresh token was already used; its token family has been revoked');
      case 'invalid':
        throw OAuthError.invalidGrant('The refresh token is invalid, expired or revoked');
    }
  }

  /** Revokes a whole family and the access tokens issued from it (RFC 7009 §2.1); false when it was revoked already. */
  async revokeFamily(familyId: string): Promise<boolean> {
    const now = this.now();
    const revoked = await this.store.refreshTokens.revokeFamily(familyId, now);
    if (revoked) this.revoked.add(familyId, now);
    await this.store.accessTokens.deleteOpaqueByFamily(familyId);
    return revoked;
  }
}
