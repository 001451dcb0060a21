import { hashToken } from '../../crypto/token-hash.js';
import { randomToken } from '../../crypto/random.js';
import type { Confirmation } from '../../store/types.js';
import { tokenTypeFor } from '../confirmation.js';
import { INACTIVE, issuedToAnotherClient, mayIntrospect, userStillActive, type AccessTokenFormat } from './format.js';

/** Our opaque and refresh tokens are 43 base64url characters; anything far from that cannot be one (no look-up). */
const STORED_SHAPE = /^[A-Za-z0-9_-]{20,256}$/;

function audienceClaim(aud: readonly string[]): string | string[] {
  return aud.length === 1 ? aud[0]! : [...aud];
}

/**
 * Opaque access tokens (ADR 0001, per client): 256-bit random references stored only as their SHA-256; only
 * introspection reveals their content, and revoking deletes them. Refresh tokens share the shape, so an unknown
 * opaque-shaped token is "not one of mine" (undefined / false) and the endpoint looks further.
 */
export const opaqueAccessTokens = {
  name: 'opaque',

  recognises(token) {
    return STORED_SHAPE.test(token);
  },

  async issue(s, c, issued, extra) {
    const token = randomToken(32);
    await s.store.accessTokens.insertOpaque({
      hash: hashToken(token),
      jti: issued.jti,
      clientId: c.client.clientId,
      subject: c.subject,
      userId: c.userId ?? null,
      orgId: c.orgId ?? null,
      familyId: c.familyId ?? null,
      scope: [...c.scope],
      audience: issued.audience,
      // cnf rides with the other claims: introspection returns it as a JWT of the same grant carries it.
      claims: c.username || extra || c.confirmation ? { ...(extra ?? {}), ...(c.username ? { username: c.username } : {}), ...(c.confirmation ? { cnf: c.confirmation } : {}) } : null,
      issuedAt: issued.issuedAt,
      expiresAt: issued.expiresAt,
    });
    issued.token = token;
    return issued;
  },

  async introspect(ctx, caller, token) {
    const t = await ctx.store.accessTokens.findOpaque(hashToken(token));
    if (!t) return undefined;
    if (t.expiresAt <= ctx.now() || !mayIntrospect(caller, t.clientId)) return INACTIVE;
    // Revoking a family deletes its opaque tokens where the revocation is made by token; a bulk revocation (an
    // installation, a user's sessions) only marks the families, and this check covers those too.
    if (t.familyId !== null && ctx.revokedFamilies.has(t.familyId)) return INACTIVE;
    const user = await userStillActive(ctx, t.userId);
    if (!user.ok) return INACTIVE;
    return JSON.stringify({
      active: true,
      ...(t.claims ?? {}),
      iss: ctx.config.issuer,
      sub: t.subject,
      aud: audienceClaim(t.audience),
      client_id: t.clientId,
      ...(t.scope.length > 0 ? { scope: t.scope.join(' ') } : {}),
      ...(t.orgId ? { org_id: t.orgId } : {}),
      // The family, as a JWT of the same grant carries it (access-tokens/jwt.ts).
      ...(t.familyId ? { sid: t.familyId } : {}),
      iat: t.issuedAt,
      nbf: t.issuedAt,
      exp: t.expiresAt,
      jti: t.jti,
      token_type: tokenTypeFor(t.claims?.cnf as Confirmation | undefined),
    });
  },

  async revoke(ctx, client, token, onRevoked?: (details: Record<string, unknown>) => void) {
    const hash = hashToken(token);
    const record = await ctx.store.accessTokens.findOpaque(hash);
    if (!record) return false;
    if (record.clientId !== client.clientId) {
      // RFC 7009 §2.1 (format.ts issuedToAnotherClient): refused while valid; expired or of a revoked family, invalid.
      if (record.expiresAt > ctx.now() && !(record.familyId !== null && ctx.revokedFamilies.has(record.familyId))) throw issuedToAnotherClient();
      return true;
    }
    if (await ctx.store.accessTokens.deleteOpaque(hash)) {
      onRevoked?.({ token_type: 'access_token', format: 'opaque', jti: record.jti, hash_prefix: hash.slice(0, 12) });
    }
    return true;
  },
} satisfies AccessTokenFormat;
