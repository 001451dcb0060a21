import type { Client, User } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { OAuthError } from '../errors.js';
import { intersect, parseScope, resolveScope } from '../scope.js';
import { issueTokens } from './issue-tokens.js';
import { resolveTargets } from '../resources.js';
import type { GrantRequest, TokenResponse } from './types.js';

/** RFC 8693 §3 token type identifiers. */
export const TOKEN_TYPE = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

/** Within the client's scope and, when the user has an allowance, the user's (RFC 6749 §3.3). */
function grantedScope(requested: readonly string[] | undefined, client: Client, user: User): string[] {
  const scope = resolveScope(requested, client.scope, client.defaultScope);
  if (user.scope === null) return scope;
  if (requested === undefined) return intersect(scope, user.scope);
  if (!scope.every((s) => user.scope!.includes(s))) throw OAuthError.invalidScope('The requested scope exceeds what this user may be granted');
  return scope;
}

/**
 * An identity a provider vouched for, as the issuing tail needs it: the provider's name (the `idp` claim) and how
 * to find or provision the local user (federation/user-mapping.ts), called only once the request's own checks
 * passed. The federated grants (federation/grants/) build it; this module knows no provider.
 */
export interface FederatedSubject {
  readonly idp: string;
  localUser(): Promise<User>;
}

/**
 * The common tail of every federated grant: the external identity -> the local user -> an access token (subject
 * = the user id, `idp` = the provider name) and, when the client may use refresh_token, a refresh token family
 * that carries `idp` into every refreshed access token.
 */
export interface IssueOptions {
  tokenExchange: boolean;
  /** RFC 8693 §4.1 delegation: the issued token's act claim, once `authorize` accepted the local user. */
  delegation?: { act: Record<string, unknown>; authorize(user: User): void };
}

export async function issueForIdentity(req: GrantRequest, client: Client, ctx: OAuthContext, subject: FederatedSubject, opts: IssueOptions): Promise<TokenResponse> {
  const requested = parseScope(req.params.get('scope'));
  // Checks that need no user fail before the account is touched (no user is provisioned for a doomed request).
  if (requested !== undefined) resolveScope(requested, client.scope, client.defaultScope);
  // RFC 8707 / RFC 8693 §2.1: checked before any user is looked up or provisioned.
  const audience = resolveTargets(req.params, client);
  const user = await subject.localUser();
  opts.delegation?.authorize(user);
  const scope = grantedScope(requested, client, user);
  // `idp` names the provider in the access token and, through the family, in every refreshed one (so does `act`).
  const extra = opts.delegation ? { idp: subject.idp, act: opts.delegation.act } : { idp: subject.idp };
  const granted = { client, subject: user.id, userId: user.id, username: user.username, user, scope, extra, confirmation: req.confirmation, ...(audience ? { audience } : {}) };
  return issueTokens(ctx, granted, undefined, opts.tokenExchange ? TOKEN_TYPE.accessToken : undefined);
}
