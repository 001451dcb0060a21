import type { Config } from '../config.js';
import type { Client, Store } from '../store/types.js';
import type { KeyRing } from '../keys/key-ring.js';
import { assembleJwt, signingInputOf } from '../keys/jwt.js';
import { inlineSigner, type JwtSigner } from '../keys/signing-thread.js';
import { hashToken } from '../crypto/token-hash.js';
import { randomJti, randomToken } from '../crypto/random.js';

/** What an access token says, whatever its format. */
export interface AccessTokenClaims {
  client: Client;
  /** RFC 9068 §2.2: the resource owner, or the client id when there is none. */
  subject: string;
  scope: readonly string[];
  userId?: string | null;
  username?: string | null;
  orgId?: string | null;
  familyId?: string | null;
  /** Audiences the token is for (RFC 8707 resource / RFC 8693 audience); defaults per client/config. */
  audience?: readonly string[];
  /** Extra claims (e.g. the identity provider of a federated login). */
  extra?: Record<string, unknown> | null;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  expiresAt: number;
  format: 'jwt' | 'opaque';
}

/**
 * Creates access tokens in the client's format (ADR 0001: JWT per RFC 9068 by default, opaque per client).
 * JWTs are signed with a pre-imported key, on the event loop or on the signing thread (ADR 0009); opaque tokens
 * are 256-bit random and stored hashed.
 */
export class TokenIssuer {
  constructor(
    private readonly config: Config,
    private readonly keys: KeyRing,
    private readonly store: Store,
    private readonly now: () => number,
    private readonly signer: JwtSigner = inlineSigner,
  ) {}

  audienceFor(client: Client, requested?: readonly string[]): string[] {
    if (requested && requested.length > 0) return [...requested];
    if (client.audience && client.audience.length > 0) return client.audience;
    return [this.config.accessTokenAudience ?? this.config.issuer];
  }

  ttlFor(client: Client): number {
    return Math.min(client.accessTokenTtl || this.config.accessTokenTtl, this.config.maxAccessTokenTtl);
  }

  async issue(c: AccessTokenClaims): Promise<IssuedAccessToken> {
    const iat = this.now();
    const ttl = this.ttlFor(c.client);
    const exp = iat + ttl;
    const jti = randomJti();
    const audience = this.audienceFor(c.client, c.audience);
    if (c.client.accessTokenFormat === 'opaque') {
      const token = randomToken(32);
      await this.store.accessTokens.insertOpaque({
        hash: hashToken(token),
        jti,
        clientId: c.client.clientId,
        subject: c.subject,
        userId: c.userId ?? null,
        orgId: c.orgId ?? null,
        familyId: c.familyId ?? null,
        scope: [...c.scope],
        audience,
        claims: c.username || c.extra ? { ...(c.extra ?? {}), ...(c.username ? { username: c.username } : {}) } : null,
        issuedAt: iat,
        expiresAt: exp,
      });
      return { token, jti, expiresIn: ttl, expiresAt: exp, format: 'opaque' };
    }
    // RFC 9068 §2.2 claims; extension claims never override the registered ones.
    const claims: Record<string, unknown> = {
      ...(c.extra ?? {}),
      iss: this.config.issuer,
      sub: c.subject,
      aud: audience.length === 1 ? audience[0] : audience,
      client_id: c.client.clientId,
      iat,
      exp,
      jti,
    };
    if (c.scope.length > 0) claims.scope = c.scope.join(' ');
    if (c.orgId) claims.org_id = c.orgId;
    if (c.username) claims.username = c.username;
    // The refresh-token family (the login session), so introspection can refuse the token once the family is
    // revoked (oauth/revoked-families.ts). `sid` is the registered JWT claim for a session identifier (IANA
    // JSON Web Token Claims; OpenID Connect Front-Channel Logout §3); a family is one login of one client.
    if (c.familyId) claims.sid = c.familyId;
    const key = this.keys.active;
    const input = signingInputOf(key, claims);
    return { token: assembleJwt(input, await this.signer.sign(key, input)), jti, expiresIn: ttl, expiresAt: exp, format: 'jwt' };
  }
}
