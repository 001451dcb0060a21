import type { Config } from '../config.js';
import type { Client, Store } from '../store/types.js';
import type { KeyRing } from '../keys/key-ring.js';
import { inlineSigner, type JwtSigner } from '../keys/signing-thread.js';
import { randomJti } from '../crypto/random.js';
import type { AccessTokenClaims, AccessTokenFormat, IssuedAccessToken, IssuingServices } from './access-tokens/format.js';
import { jwtAccessTokens } from './access-tokens/jwt.js';
import { opaqueAccessTokens } from './access-tokens/opaque.js';
import { ClaimTemplates } from './claims.js';
import type { TokenHook } from './token-hook.js';
import { tokenTypeFor } from './confirmation.js';

/** The client's access-token format (ADR 0001: JWT per RFC 9068 by default, opaque per client). */
export function formatFor(client: Client): AccessTokenFormat {
  return client.accessTokenFormat === 'opaque' ? opaqueAccessTokens : jwtAccessTokens;
}

/**
 * Issues access tokens: decides what every format shares (lifetime, jti, audience) and has the client's format
 * mint the token (access-tokens/jwt.ts signs, access-tokens/opaque.ts stores a hash).
 */
export class TokenIssuer implements IssuingServices {
  constructor(
    readonly config: Config,
    readonly keys: KeyRing,
    readonly store: Store,
    private readonly now: () => number,
    readonly signer: JwtSigner = inlineSigner,
    readonly claimTemplates: ClaimTemplates = new ClaimTemplates(),
    readonly tokenHook?: TokenHook,
  ) {}

  audienceFor(client: Client, requested?: readonly string[]): string[] {
    if (requested && requested.length > 0) return [...requested];
    if (client.audience && client.audience.length > 0) return client.audience;
    return [this.config.accessTokenAudience ?? this.config.issuer];
  }

  ttlFor(client: Client): number {
    return Math.min(client.accessTokenTtl || this.config.accessTokenTtl, this.config.maxAccessTokenTtl);
  }

  /** Whether issuing to this client asks the token hook first (one property check for the others). */
  asksHook(client: Client): boolean {
    return this.tokenHook !== undefined && this.tokenHook.appliesTo(client);
  }

  /** The token hook's claims for `c` (undefined: none, or failed open); throws when it failed closed. */
  hookClaims(c: AccessTokenClaims): Promise<Record<string, unknown> | undefined> {
    const custom = c.client.claims == null ? undefined : this.claimTemplates.claimsFor(c);
    return this.tokenHook!.claimsFor({ client: c.client, subject: c.subject, scope: c.scope, audience: this.audienceFor(c.client, c.audience), username: c.username, orgId: c.orgId, claims: custom });
  }

  issue(claims: AccessTokenClaims): Promise<IssuedAccessToken> {
    if (claims.hookClaims === undefined && this.asksHook(claims.client)) return this.issueAfterHook(claims);
    return this.mint(claims);
  }

  private async issueAfterHook(claims: AccessTokenClaims): Promise<IssuedAccessToken> {
    return this.mint({ ...claims, hookClaims: (await this.hookClaims(claims)) ?? null });
  }

  private mint(claims: AccessTokenClaims): Promise<IssuedAccessToken> {
    // Custom claims (claims.ts): a client without a template pays one property check and no copy.
    const custom = claims.client.claims == null ? undefined : this.claimTemplates.claimsFor(claims);
    const hooked = claims.hookClaims ?? undefined;
    // The hook's claims win over the template's; Tessera's own extra claims (idp) over both (neither may name them).
    // Passed beside the claims, not as a copy of them with another `extra`: grants build AccessTokenClaims of
    // several shapes, and spreading them was ~5 µs a token on V8's generic path (issue 23's guard).
    const own = claims.extra ?? undefined;
    const extra = hooked === undefined && (custom === undefined || own === undefined) ? (custom ?? own) : { ...custom, ...hooked, ...own };
    const format = formatFor(claims.client);
    const issuedAt = this.now();
    const expiresIn = this.ttlFor(claims.client);
    // The one object of this issuance: the format fills in the token and resolves to it.
    const issued: IssuedAccessToken = {
      token: '',
      jti: randomJti(),
      issuedAt,
      expiresIn,
      expiresAt: issuedAt + expiresIn,
      audience: this.audienceFor(claims.client, claims.audience),
      format: format.name,
      tokenType: tokenTypeFor(claims.confirmation),
    };
    return format.issue(this, claims, issued, extra);
  }
}
