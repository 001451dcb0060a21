import { randomId } from '../../crypto/random.js';
import type { OAuthContext } from '../context.js';
import type { AccessTokenClaims, IssuedAccessToken } from '../access-tokens/format.js';
import { formatScope } from '../scope.js';
import { familyBinding } from '../confirmation.js';
import { mayRefresh, type TokenResponse } from './types.js';

/**
 * What a grant decided: the access token's content, and for a grant that starts a family, what the family keeps.
 * `familyId` is left to issueTokens (the grant never chooses it); `extra` claims (e.g. a federated login's `idp`)
 * go into the access token and, when a family starts, into the family, so every refresh carries them on.
 */
export interface GrantedTokens extends AccessTokenClaims {
  /** An org family's installation: revoking it ends the family (oauth/installations.ts). */
  installationId?: string | null;
}

/** The family a refresh continues: RefreshTokenService.rotate's result (the successor token and its family). */
export interface ContinuedFamily {
  readonly token: string;
  readonly family: { readonly familyId: string };
}

/**
 * The tail of every grant that starts or continues a refresh-token family: the family (started here when the
 * client may use refresh_token, or the one a refresh rotated), the access token naming that family, and the
 * RFC 6749 §5.1 body. The family id is decided before the access token is issued, so every access token of a
 * family, the first included, names it (`sid` in a JWT, the family column of an opaque token): revoking the
 * family (RFC 7009 §2.1) or detecting reuse (RFC 9700 §4.14.2) reaches all of them, in either format.
 *
 * `granted` is the object the grant built for this request; its familyId is written here (no copy: the refresh
 * path allocates nothing it did not before).
 */
export async function issueTokens(ctx: OAuthContext, granted: GrantedTokens, continued?: ContinuedFamily, issuedTokenType?: string): Promise<TokenResponse> {
  let refreshToken: string | undefined;
  // The token hook is asked before a family starts: a hook that fails closed leaves nothing behind.
  if (granted.hookClaims === undefined && continued === undefined && ctx.issuer.asksHook(granted.client)) granted.hookClaims = (await ctx.issuer.hookClaims(granted)) ?? null;
  if (continued !== undefined) {
    granted.familyId = continued.family.familyId;
    refreshToken = continued.token;
  } else if (mayRefresh(granted.client)) {
    const familyId = randomId(16);
    granted.familyId = familyId;
    refreshToken = await ctx.refreshTokens.start({
      familyId,
      client: granted.client,
      subject: granted.subject,
      userId: granted.userId,
      orgId: granted.orgId,
      installationId: granted.installationId,
      scope: granted.scope,
      claims: granted.extra,
      audience: granted.audience,
      confirmation: familyBinding(granted.client, granted.confirmation ?? undefined),
    });
  } else {
    granted.familyId = null;
  }
  return tokenResponse(await ctx.issuer.issue(granted), granted.scope, refreshToken, issuedTokenType);
}

/**
 * RFC 6749 §5.1: the success body (RFC 8693 §2.2.1's issued_token_type after the token, for token exchange).
 * Every grant answers through here, client_credentials included; the key order is the one clients have seen.
 */
export function tokenResponse(at: IssuedAccessToken, scope: readonly string[], refreshToken?: string, issuedTokenType?: string): TokenResponse {
  if (issuedTokenType !== undefined) {
    const body: TokenResponse = { access_token: at.token, issued_token_type: issuedTokenType, token_type: at.tokenType, expires_in: at.expiresIn, scope: formatScope(scope) };
    if (refreshToken !== undefined) body.refresh_token = refreshToken;
    return body;
  }
  if (refreshToken === undefined) return { access_token: at.token, token_type: at.tokenType, expires_in: at.expiresIn, scope: formatScope(scope) };
  return { access_token: at.token, token_type: at.tokenType, expires_in: at.expiresIn, scope: formatScope(scope), refresh_token: refreshToken };
}
