import type { Client } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import type { Actor } from '../delegation.js';
import { actClaim, checkDelegationPolicy, checkMayAct } from '../delegation.js';
import { OAuthError } from '../errors.js';
import { intersect, parseScope, resolveScope } from '../scope.js';
import { getUser } from '../users.js';
import { TOKEN_TYPE } from './federated.js';
import { resolveTargets } from '../resources.js';
import { issueTokens } from './issue-tokens.js';
import type { GrantRequest, TokenResponse } from './types.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * RFC 8693 delegation where the subject token is one of this server's own active access tokens (`claims` as
 * introspection shows them): the issued token has the same subject, at most the subject token's scope, and an
 * `act` claim naming the actor, with the subject token's own act nested inside (§4.1). Offered only with an
 * actor (token-exchange.ts): exchanging our own token without one would let any client holding a token re-mint
 * it as its own.
 */
export async function issueForOwnSubject(req: GrantRequest, client: Client, ctx: OAuthContext, claims: Record<string, unknown>, actor: Actor): Promise<TokenResponse> {
  const ours = ctx.config.issuer;
  const subject = claims.sub as string;
  const username = str(claims.username);
  checkDelegationPolicy(client, actor, [subject, username]);
  checkMayAct(claims.may_act, actor, ours, ours);
  const act = actClaim(actor, claims.act, ours, ours);

  // Never more than the subject was granted (RFC 8693 §2.1 scope; RFC 6749 §3.3), within the client's own scope.
  const subjectScope = (str(claims.scope) ?? '').split(' ').filter((s) => s !== '');
  const requested = parseScope(req.params.get('scope'));
  let scope = resolveScope(requested, client.scope, client.defaultScope);
  if (requested === undefined) scope = intersect(scope, subjectScope);
  else if (!scope.every((s) => subjectScope.includes(s))) throw OAuthError.invalidScope("The requested scope exceeds the subject token's scope");
  const audience = resolveTargets(req.params, client);

  // A user's token carries its username (access-tokens/jwt.ts): the user must still be active (it was, a moment
  // ago, when the token was judged active; the look-up is the per-process cache).
  const userId = username !== undefined ? subject : null;
  if (userId !== null) {
    const user = await getUser(ctx, userId);
    if (!user || user.status !== 'active') throw OAuthError.invalidRequest('The subject of the subject_token is not an active user');
  }
  const granted = { client, subject, userId, username: username ?? null, scope, extra: { act }, confirmation: req.confirmation, ...(audience ? { audience } : {}) };
  return issueTokens(ctx, granted, undefined, TOKEN_TYPE.accessToken);
}
