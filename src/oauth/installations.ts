import type { Client, Installation, Organization, RefreshFamily } from '../store/types.js';
import type { OAuthContext } from './context.js';
import { RecordCache } from './cache.js';
import { OAuthError } from './errors.js';

/**
 * Organisations and app installations as the token endpoint sees them: read through per-server caches (a field of
 * the context) that the change feed invalidates ('installation', 'org'; subscribed by createOAuthContext), so the
 * org_implicit hot path costs no database round trip in steady state.
 */
export interface InstallationCaches {
  /** Keyed by `${orgId}\0${clientId}`. */
  readonly installations: RecordCache<Installation>;
  readonly orgs: RecordCache<Organization>;
}

export function createInstallationCaches(): InstallationCaches {
  return { installations: new RecordCache<Installation>(), orgs: new RecordCache<Organization>() };
}

/**
 * One failure for every reason an organisation's authorisation does not hold (no installation, revoked, not yet
 * approved, organisation unknown or disabled), so a caller cannot probe which organisations exist or have
 * installed the app. RFC 6749 §5.2: the installation is the authorisation grant, and a grant that is missing,
 * revoked or issued to another client is invalid_grant; unauthorized_client is reserved for a client that may
 * not use the grant type at all (the token endpoint checks that before dispatch).
 */
export function orgAuthorizationInvalid(): OAuthError {
  return OAuthError.invalidGrant('The organization has not authorized this client, or the authorization is no longer valid');
}

/** An organisation's authorisation of a client as the caches hold it: both records (claim templates read them). */
export interface OrgAuthorization {
  readonly org: Organization;
  readonly installation: Installation;
}

/**
 * The active installation of `client` in an active organisation `orgId` with that organisation's record, or
 * undefined. Both come from the caches, so the records a token's claims read cost no further look-up.
 */
export async function activeInstallation(ctx: OAuthContext, orgId: string, clientId: string): Promise<OrgAuthorization | undefined> {
  const caches = ctx.installations;
  const org = await caches.orgs.get(orgId, (id) => ctx.store.organizations.get(id));
  if (!org || org.status !== 'active') return undefined;
  const installation = await caches.installations.get(`${orgId}\0${clientId}`, () => ctx.store.installations.find(orgId, clientId));
  if (!installation || installation.status !== 'active' || installation.approvedAt === null) return undefined;
  return { org, installation };
}

/**
 * The scopes an installation lets the client hold right now: the organisation's approved scopes, capped by what
 * the client itself may still be granted (a scope removed from the client is gone from every organisation).
 */
export function installationScope(inst: Installation, client: Client): string[] {
  const clientScope = new Set(client.scope);
  return inst.scope.filter((s) => clientScope.has(s));
}

/**
 * The refresh-grant hook for org families (RFC 6749 §6: a refresh never widens scope): for a family bound to an
 * installation, the installation's CURRENT scope caps the refreshed token (`scope`), and a revoked installation or
 * a disabled organisation fails the refresh with the same invalid_grant as org_implicit. The current records come
 * back too, for the refreshed token's claims. Families without an installation return undefined (no extra cap).
 */
export async function installationScopeFor(family: RefreshFamily, ctx: OAuthContext, client: Client): Promise<(OrgAuthorization & { scope: string[] }) | undefined> {
  if (family.installationId === null) return undefined;
  if (family.orgId === null) throw orgAuthorizationInvalid();
  const found = await activeInstallation(ctx, family.orgId, family.clientId);
  // The family must belong to this very installation: an uninstall followed by a re-install starts afresh.
  if (!found || found.installation.id !== family.installationId) throw OAuthError.invalidGrant('The refresh token is invalid, expired or revoked');
  return { org: found.org, installation: found.installation, scope: installationScope(found.installation, client) };
}
