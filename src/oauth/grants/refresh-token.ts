import type { Client, Confirmation, RefreshFamily, User } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { OAuthError } from '../errors.js';
import { installationScopeFor } from '../installations.js';
import { intersect, parseScope } from '../scope.js';
import type { RefreshAllowance } from '../refresh-tokens.js';
import { getUser } from '../users.js';
import { issueTokens } from './issue-tokens.js';
import { refreshTargets } from '../resources.js';
import type { GrantHandler, GrantRequest } from './types.js';
import { bindingHolds, familyBinding } from '../confirmation.js';

/**
 * RFC 9449 §5 and RFC 8705 §4: a public client's family is bound to the key (DPoP) and/or the certificate (mTLS)
 * that started it; a refresh must prove possession of each. Checked once the token is found and before it rotates, so a refresh without
 * the key consumes nothing. Without any proof the client is told to send one; with another key's proof it is
 * invalid_grant, and a security event (a stolen refresh token replayed from elsewhere looks like this).
 */
function checkBinding(family: RefreshFamily, client: Client, req: GrantRequest, ctx: OAuthContext): void {
  if (bindingHolds(family.confirmation, req.confirmation)) return;
  const bound = family.confirmation!;
  if (bound.jkt !== undefined && req.confirmation?.jkt === undefined) {
    throw OAuthError.invalidDpopProof('This refresh token is bound to a DPoP key: send a DPoP proof made with that key', ctx.dpop.algs);
  }
  const event = { clientId: client.clientId, subject: family.subject, address: req.ip, requestId: req.requestId } as const;
  if (bound.jkt !== undefined && bound.jkt !== req.confirmation?.jkt) {
    ctx.events.emit({ type: 'dpop.proof_rejected', ...event, details: { reason: 'refresh_token_bound_to_another_key', family_id: family.familyId } });
  } else {
    ctx.events.emit({ type: 'client_certificate.binding_mismatch', ...event, details: { reason: 'refresh_token_bound_to_another_certificate', family_id: family.familyId } });
  }
  throw OAuthError.invalidGrant('The refresh token is bound to a key this request does not prove possession of');
}

/**
 * RFC 9449 §5: "When an authorization server supporting DPoP issues a refresh token to a public client that presents
 * a valid DPoP proof at the token endpoint, the refresh token MUST be bound to the respective public key." A public
 * client's family started without a proof is bound at its first refresh that carries one, to what a family started
 * by that request would be bound to. Undefined in the usual case (bound already, a confidential client, no proof).
 */
function bindingToAdd(family: RefreshFamily, client: Client, req: GrantRequest): Confirmation | undefined {
  if (family.confirmation !== null && family.confirmation !== undefined) return undefined;
  if (req.confirmation?.jkt === undefined) return undefined;
  return familyBinding(client, req.confirmation) ?? undefined;
}

/**
 * Binds the family before its token rotates (a refusal after it still consumes nothing); the policy then checks the
 * binding the family ended with, which a concurrent refresh with another key may have set first. A family gone
 * meanwhile (null) is left to the rotation, which refuses it.
 */
async function bindFamily(family: RefreshFamily, binding: Confirmation, ctx: OAuthContext): Promise<RefreshFamily> {
  return { ...family, confirmation: (await ctx.refreshTokens.bindFamily(family.familyId, binding)) ?? binding };
}

/**
 * The refresh policy: what a family may still be granted now. The client's current scope, the user's current
 * allowance (the user must still exist and be active) and for org families the installation's current scope cap
 * it; scope removed from any of them since the family started is dropped, and a user disabled or deleted since
 * fails the refresh. The user found here is the one the new access token names.
 */
async function currentAllowance(family: RefreshFamily, client: Client, ctx: OAuthContext): Promise<RefreshAllowance> {
  let cap = client.scope;
  let user: User | null = null;
  if (family.userId !== null) {
    const found = await getUser(ctx, family.userId);
    if (!found || found.status !== 'active') throw OAuthError.invalidGrant('The refresh token is invalid, expired or revoked');
    if (found.scope !== null) cap = intersect(cap, found.scope);
    user = found;
  }
  // Only an org family has an installation to look up: the others spend no async call on it (the refresh path
  // keeps its promise count with the issueTokens tail below).
  const installation = family.installationId === null ? undefined : await installationScopeFor(family, ctx, client);
  if (installation === undefined) return { cap, user };
  return { cap: intersect(cap, installation.scope), user, org: installation.org, installation: installation.installation };
}

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token and retires the presented
 * one; presenting a retired one revokes the family (RefreshTokenService / the store's compare-and-set). Public
 * clients refresh with their client_id alone, as RFC 6749 §6 allows.
 */
export const refreshTokenGrant = {
  grantType: 'refresh_token',
  parameters: new Set(['refresh_token', 'scope', 'resource', 'audience']),
  confidentialOnly: false,
  async handle(req, client, ctx) {
    const presented = req.params.get('refresh_token');
    if (presented === undefined) throw OAuthError.invalidRequest('The refresh_token parameter is missing');
    const requested = parseScope(req.params.get('scope'));
    // RFC 8707 §2.2: decided with the family, before the token rotates (a refused request spends nothing).
    let audience: string[] | undefined;
    let hookClaims: Record<string, unknown> | null | undefined;
    // RFC 9700 §4.14.2: a reused token has just revoked its family: the audit trail's most important line.
    const onReuse = (family: RefreshFamily) =>
      ctx.events.emit({ type: 'refresh.reuse_detected', clientId: client.clientId, subject: family.subject, address: req.ip, requestId: req.requestId, details: { family_id: family.familyId, family_revoked: true } });
    const policy = (family: RefreshFamily): Promise<RefreshAllowance> => {
      checkBinding(family, client, req, ctx);
      const binding = bindingToAdd(family, client, req);
      if (binding !== undefined) return bindFamily(family, binding, ctx).then(policy);
      audience = refreshTargets(req.params, client, family);
      if (!ctx.issuer.asksHook(client)) return currentAllowance(family, client, ctx);
      // The token hook too is asked before the token rotates: a hook that fails closed leaves the refresh token
      // usable. It is told the scope asked for, else the family's (the policy may still narrow it).
      return currentAllowance(family, client, ctx).then(async (allowance) => {
        const about = { client, subject: family.subject, userId: family.userId, username: allowance.user?.username ?? null, user: allowance.user, orgId: family.orgId, org: allowance.org ?? null, installation: allowance.installation ?? null, scope: requested ?? family.scope, audience };
        hookClaims = (await ctx.issuer.hookClaims(about)) ?? null;
        return allowance;
      });
    };
    const rotated = await ctx.refreshTokens.rotate(presented, client, requested, policy, onReuse);
    ctx.metrics.refreshRotated();
    const { family, scope } = rotated;
    const granted = { client, subject: family.subject, userId: family.userId, username: rotated.user?.username ?? null, user: rotated.user, orgId: family.orgId, org: rotated.org, installation: rotated.installation, scope, extra: family.claims, audience, hookClaims, confirmation: req.confirmation };
    // Awaited rather than returned: an async function that returns a promise pays an extra thenable job.
    return await issueTokens(ctx, granted, rotated);
  },
} satisfies GrantHandler;
