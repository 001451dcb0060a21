import type { Client } from '../../store/types.js';
import type { OAuthContext } from '../../oauth/context.js';
import { activeAccessTokenClaims } from '../../oauth/active-access-token.js';
import { actClaim, checkDelegationPolicy, checkMayAct, type Actor } from '../../oauth/delegation.js';
import { OAuthError } from '../../oauth/errors.js';
import { issueForOwnSubject } from '../../oauth/grants/delegated.js';
import { issueForIdentity, TOKEN_TYPE } from '../../oauth/grants/federated.js';
import type { GrantRequest, TokenResponse } from '../../oauth/grants/types.js';
import { looksLikeJwt } from '../../oauth/own-jwt.js';
import { peekJwt } from '../../oauth/jwt/verify.js';
import type { Federation } from '../federation.js';
import { verifySubjectToken, type SubjectTokenKind } from '../subject-token.js';
import { assertProviderAllowsClient, federatedSubject } from './allowed.js';

/** An actor token is one of our access tokens, a JWT or opaque (RFC 8693 §3 type identifiers). */
const ACTOR_TYPES: ReadonlySet<string> = new Set([TOKEN_TYPE.accessToken, TOKEN_TYPE.jwt]);

/**
 * RFC 8693 §2.1 actor_token: the actor is the subject of one of this server's active access tokens (a service's
 * client_credentials token, or a user's). An actor that is itself acting for someone (its token has act) is
 * refused: whose authority it would carry is not something the issued token could say.
 */
async function verifyActor(ctx: OAuthContext, client: Client, token: string, type: string): Promise<Actor> {
  if (!ACTOR_TYPES.has(type)) throw OAuthError.invalidRequest('The actor_token_type is not supported (access_token or jwt: an actor token is an access token of this server)');
  const claims = await activeAccessTokenClaims(ctx, client, token);
  if (!claims) throw OAuthError.invalidRequest('The actor_token is not an active access token of this server');
  if (claims.act !== undefined) throw OAuthError.invalidRequest('The actor_token is itself a delegated token (it has an act claim)');
  return { sub: claims.sub as string, ...(typeof claims.client_id === 'string' ? { clientId: claims.client_id } : {}) };
}

/** Whether the subject token may be one of ours: an opaque token, or a JWT that names this server as its issuer. */
function mayBeOurs(ctx: OAuthContext, token: string, kind: SubjectTokenKind): boolean {
  if (kind === 'id_token') return false;
  return !looksLikeJwt(token) || peekJwt(token)?.iss === ctx.config.issuer;
}

/**
 * Token exchange with an actor (RFC 8693 §1.1 delegation): the issued token's subject is the subject token's,
 * and its `act` claim names the actor (§4.1). The client's delegation policy and the subject token's may_act
 * (§4.4) must both allow it. The subject token is one of this server's access tokens, or a token of a configured
 * identity provider (then mapped to the local user as without an actor). Refusals are audited (delegation.refused).
 */
export async function exchangeWithActor(req: GrantRequest, client: Client, ctx: OAuthContext, federation: Federation, subjectToken: string, kind: SubjectTokenKind, actorToken: string, actorType: string | undefined): Promise<TokenResponse> {
  let actor: Actor | undefined;
  try {
    // Nothing is verified for a client that may not delegate at all.
    if (!client.delegation) throw OAuthError.invalidRequest('This client may not request delegation (actor_token); its delegation policy is not set');
    if (actorType === undefined) throw OAuthError.invalidRequest('The actor_token_type parameter is missing (RFC 8693 §2.1)');
    actor = await verifyActor(ctx, client, actorToken, actorType);
    const result = await exchange(req, client, ctx, federation, subjectToken, kind, actor);
    ctx.events.emit({ type: 'delegation.granted', clientId: client.clientId, subject: result.subject, address: req.ip, requestId: req.requestId, details: { actor: actor.sub } });
    return result.response;
  } catch (err) {
    if (err instanceof OAuthError && err.code === 'invalid_request') {
      ctx.events.emit({ type: 'delegation.refused', clientId: client.clientId, address: req.ip, requestId: req.requestId, details: { reason: err.description, ...(actor ? { actor: actor.sub } : {}) } });
    }
    throw err;
  }
}

async function exchange(req: GrantRequest, client: Client, ctx: OAuthContext, federation: Federation, token: string, kind: SubjectTokenKind, actor: Actor): Promise<{ response: TokenResponse; subject: string }> {
  const own = mayBeOurs(ctx, token, kind) ? await activeAccessTokenClaims(ctx, client, token) : undefined;
  if (own) return { response: await issueForOwnSubject(req, client, ctx, own, actor), subject: own.sub as string };
  const { provider, identity } = await verifySubjectToken(token, kind, client, ctx, federation);
  assertProviderAllowsClient(provider, client);
  const ours = ctx.config.issuer;
  const claims = identity.delegation ?? { iss: provider.name };
  checkMayAct(claims.mayAct, actor, claims.iss, ours);
  let subject = '';
  const act = actClaim(actor, claims.act, claims.iss, ours);
  const authorize = (user: { id: string; username: string | null }) => {
    subject = user.id;
    checkDelegationPolicy(client, actor, [user.id, user.username]);
  };
  const response = await issueForIdentity(req, client, ctx, federatedSubject(provider, identity, ctx), { tokenExchange: true, delegation: { act, authorize } });
  return { response, subject };
}
