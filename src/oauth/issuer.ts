import type { Config } from '../config.js';
import type { Client, Store } from '../store/types.js';
import type { KeyRing } from '../keys/key-ring.js';
import { inlineSigner, type JwtSigner } from '../keys/signing-thread.js';
import { randomJti } from '../crypto/random.js';
import type { AccessTokenClaims, AccessTokenFormat, IssuedAccessToken, IssuingServices } from './access-tokens/format.js';
import { jwtAccessTokens } from './access-tokens/jwt.js';
import { opaqueAccessTokens } from './access-tokens/opaque.js';
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
  ) {}

  audienceFor(client: Client, requested?: readonly string[]): string[] {
    if (requested && requested.length > 0) return [...requested];
    if (client.audience && client.audience.length > 0) return client.audience;
    return [this.config.accessTokenAudience ?? this.config.issuer];
  }

  ttlFor(client: Client): number {
    return Math.min(client.accessTokenTtl || this.config.accessTokenTtl, this.config.maxAccessTokenTtl);
  }

  issue(c: AccessTokenClaims): Promise<IssuedAccessToken> {
    const format = formatFor(c.client);
    const issuedAt = this.now();
    const expiresIn = this.ttlFor(c.client);
    // The one object of this issuance: the format fills in the token and resolves to it.
    const issued: IssuedAccessToken = {
      token: '',
      jti: randomJti(),
      issuedAt,
      expiresIn,
      expiresAt: issuedAt + expiresIn,
      audience: this.audienceFor(c.client, c.audience),
      format: format.name,
      tokenType: tokenTypeFor(c.confirmation),
    };
    return format.issue(this, c, issued);
  }
}
