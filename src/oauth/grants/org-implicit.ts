import { randomId } from '../../crypto/random.js';
import { OAuthError } from '../errors.js';
import { formatScope, parseScope, resolveScope } from '../scope.js';
import { activeInstallation, installationScope, orgAuthorizationInvalid } from '../installations.js';
import { mayRefresh, type GrantHandler, type TokenResponse } from './types.js';

/**
 * grant_type=org_implicit (Cobo WaaS 2 "Org Access Token"; the pattern of GitHub App installation tokens): an
 * organisation installed the authenticated app and approved a set of scopes; the app fetches a token that acts
 * for the organisation. sub = the organisation, org_id = the organisation, scope = the approved scopes (narrowed
 * by `scope`). A refresh token is issued when the client may use refresh_token (Cobo apps need it: register them
 * with grant_types ["org_implicit", "refresh_token"]); its family is bound to the installation, so revoking the
 * installation ends it and the installation's current scopes cap every refresh (oauth/installations.ts).
 *
 * Confidential clients only: an org token for whoever knows a client_id would hand out the organisation.
 */
export const orgImplicitGrant = {
  grantType: 'org_implicit',
  parameters: new Set(['org_id', 'scope']),
  confidentialOnly: true,
  async handle(req, client, ctx) {
    const orgId = req.params.get('org_id');
    if (orgId === undefined) throw OAuthError.invalidRequest('The org_id parameter is missing');
    const inst = await activeInstallation(ctx, orgId, client.clientId);
    if (!inst) throw orgAuthorizationInvalid();
    const approved = installationScope(inst, client);
    // Nothing requested: everything the organisation approved (RFC 6749 §3.3 lets the server choose the default).
    const scope = resolveScope(parseScope(req.params.get('scope')), approved, null);
    // The family id is chosen first so the first access token names it too: revoking the family (or the
    // installation) then reaches that token as well, JWT or opaque.
    const familyId = mayRefresh(client) ? randomId(16) : null;
    const refreshToken = familyId ? await ctx.refreshTokens.start({ familyId, client, subject: orgId, orgId, installationId: inst.id, scope }) : undefined;
    const at = await ctx.issuer.issue({ client, subject: orgId, orgId, scope, familyId });
    const response: TokenResponse = { access_token: at.token, token_type: 'Bearer', expires_in: at.expiresIn, scope: formatScope(scope) };
    if (refreshToken) response.refresh_token = refreshToken;
    return response;
  },
} satisfies GrantHandler;
