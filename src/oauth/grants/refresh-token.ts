import type { Client, RefreshFamily, User } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { OAuthError } from '../errors.js';
import { installationScopeFor } from '../installations.js';
import { formatScope, intersect, parseScope } from '../scope.js';
import { getUser } from '../users.js';
import type { GrantHandler } from './types.js';

/**
 * What a family may still be granted now: the client's current scope, the user's current allowance (the user
 * must still exist and be active), and for org families the installation's current scope. Scope removed from
 * any of them since the family started is dropped; a user disabled or deleted since fails the refresh.
 */
async function currentAllowance(family: RefreshFamily, client: Client, ctx: OAuthContext, found: { user?: User }): Promise<string[]> {
  let cap = client.scope;
  if (family.userId !== null) {
    const user = await getUser(ctx, family.userId);
    if (!user || user.status !== 'active') throw OAuthError.invalidGrant('The refresh token is invalid, expired or revoked');
    if (user.scope !== null) cap = intersect(cap, user.scope);
    found.user = user;
  }
  const installation = await installationScopeFor(family, ctx, client);
  return installation ? intersect(cap, installation) : cap;
}

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token and retires the presented
 * one; presenting a retired one revokes the family (RefreshTokenService / the store's compare-and-set). Public
 * clients refresh with their client_id alone, as RFC 6749 §6 allows.
 */
export const refreshTokenGrant = {
  grantType: 'refresh_token',
  parameters: new Set(['refresh_token', 'scope']),
  confidentialOnly: false,
  async handle(req, client, ctx) {
    const presented = req.params.get('refresh_token');
    if (presented === undefined) throw OAuthError.invalidRequest('The refresh_token parameter is missing');
    const requested = parseScope(req.params.get('scope'));
    const found: { user?: User } = {};
    const rotated = await ctx.refreshTokens.rotate(presented, client, requested, (family) => currentAllowance(family, client, ctx, found));
    const { family, scope } = rotated;
    const at = await ctx.issuer.issue({
      client,
      subject: family.subject,
      userId: family.userId,
      username: found.user?.username ?? null,
      orgId: family.orgId,
      familyId: family.familyId,
      scope,
      extra: family.claims,
    });
    return { access_token: at.token, token_type: 'Bearer', expires_in: at.expiresIn, scope: formatScope(scope), refresh_token: rotated.token };
  },
} satisfies GrantHandler;
