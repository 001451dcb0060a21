import { OAuthError } from '../errors.js';
import { parseScope, resolveScope } from '../scope.js';
import { activeInstallation, installationScope, orgAuthorizationInvalid } from '../installations.js';
import { issueTokens } from './issue-tokens.js';
import { resolveTargets } from '../resources.js';
import type { GrantHandler } from './types.js';

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
  parameters: new Set(['org_id', 'scope', 'resource', 'audience']),
  confidentialOnly: true,
  async handle(req, client, ctx) {
    const orgId = req.params.get('org_id');
    if (orgId === undefined) throw OAuthError.invalidRequest('The org_id parameter is missing');
    const audience = resolveTargets(req.params, client);
    const found = await activeInstallation(ctx, orgId, client.clientId);
    if (!found) throw orgAuthorizationInvalid();
    const { org, installation } = found;
    const approved = installationScope(installation, client);
    // Nothing requested: everything the organisation approved (RFC 6749 §3.3 lets the server choose the default).
    const scope = resolveScope(parseScope(req.params.get('scope')), approved, null);
    // The family (when the client may refresh) is bound to the installation; its first access token names it too.
    // The cached records ride along for claim templates ({{org.metadata.*}}, {{installation.*}}): no further read.
    return issueTokens(ctx, { client, subject: orgId, orgId, org, installation, installationId: installation.id, scope, confirmation: req.confirmation, ...(audience ? { audience } : {}) });
  },
} satisfies GrantHandler;
