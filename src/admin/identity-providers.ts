import type { IdentityProvider, IfVersion, NewIdentityProvider, Store, User, UserLink } from '../store/types.js';
import { ConflictError, VersionConflictError } from '../store/errors.js';
import { providerProblems, sealProviderSecrets } from '../federation/provider-config.js';
import { AdminConflictError, AdminNotFoundError, assertNoProblems, type Problem } from './problems.js';
import { recordAdminChange, type AdminAudit } from './audit.js';

/**
 * Identity providers (federated grants: token exchange, JWT bearer, grant_type=<provider>) and the links from a
 * provider's subject to a local user. The provider's schema is federation's (it parses stored configs at run time
 * too); the management rules are here: validate, seal the secrets, store.
 */
type ProviderType = IdentityProvider['type'];

/** Every problem with one provider item (as the import document or `idp add` states it), paths under `base`. */
export function identityProviderProblems(item: unknown, base: string): Problem[] {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return [{ path: base, message: 'Expected object' }];
  return providerProblems(item as Record<string, unknown>, base);
}

/**
 * The stored form of a provider item: its clear secrets (introspection client_secret, Facebook app_token) sealed
 * under the master key, so no secret reaches the database in clear. Every path that stores a provider calls this.
 */
export function storedProvider(item: Record<string, unknown>, masterKey: Buffer): NewIdentityProvider {
  const { name, type, ...config } = item as Record<string, unknown> & { name: string; type: ProviderType };
  return { name, type, config: sealProviderSecrets(name, config, masterKey) };
}

/** Adds or replaces a provider. Problems are reported with paths from `$` (the item itself). */
export async function saveIdentityProvider(store: Store, item: Record<string, unknown>, masterKey: Buffer, audit?: AdminAudit): Promise<IdentityProvider> {
  assertNoProblems(identityProviderProblems(item, '$'));
  const saved = await store.identityProviders.upsert(storedProvider(item, masterKey));
  recordAdminChange(audit, { resource: 'identity_provider', action: 'save', id: saved.name });
  return saved;
}

export async function getIdentityProvider(store: Store, name: string): Promise<IdentityProvider> {
  const p = await store.identityProviders.get(name);
  if (!p) throw new AdminNotFoundError(`no identity provider ${name}`);
  return p;
}

/** The fields that carry a secret: written clear, stored sealed, read back as `(sealed)` (describeProvider). */
const SECRET_FIELDS = ['client_secret', 'app_token'] as const;
const SEALED_PLACEHOLDER = '(sealed)';

/** Problems of one provider record named bare (`issuer`, `jwks.keys[0]`; '' for the record), as the admin API names them. */
function recordProblems(item: Record<string, unknown>): Problem[] {
  const problems = identityProviderProblems(item, '$').map((p) => ({ path: p.path.replace(/^\$\.?/, ''), message: p.message }));
  // A read shows a stored secret as "(sealed)"; sending that back must not make the placeholder the secret.
  for (const f of SECRET_FIELDS) if (item[f] === SEALED_PLACEHOLDER) problems.push({ path: f, message: `is the "${SEALED_PLACEHOLDER}" a read shows; give the secret itself, or leave the field out to keep the stored one` });
  return problems;
}

/**
 * Adds a provider that does not exist yet (the admin API's create; `idp add` and the import replace instead). The
 * store's insert decides a taken name, so two nodes creating one name cannot both succeed.
 */
export async function createIdentityProvider(store: Store, item: Record<string, unknown>, masterKey: Buffer, audit?: AdminAudit): Promise<IdentityProvider> {
  assertNoProblems(recordProblems(item));
  let created: IdentityProvider;
  try {
    created = await store.identityProviders.create(storedProvider(item, masterKey));
  } catch (err) {
    if (err instanceof ConflictError) throw new AdminConflictError(`identity provider ${item.name as string} already exists`);
    throw err;
  }
  recordAdminChange(audit, { resource: 'identity_provider', action: 'create', id: created.name });
  return created;
}

/**
 * Applies a JSON merge patch (RFC 7396) to a stored provider: null removes a field, a clear secret replaces the
 * sealed one (and is sealed in turn), an absent secret keeps the stored one. The merged record is checked whole
 * by the same rules as a new one, so a patch cannot leave a provider the federation module would refuse. With
 * `cond.ifVersion` the write is a compare-and-set: one changed meanwhile (by anyone, on any node) is the store's
 * VersionConflictError and nothing is written.
 */
export async function updateIdentityProvider(store: Store, name: string, patch: Record<string, unknown>, masterKey: Buffer, audit?: AdminAudit, cond: IfVersion = {}): Promise<IdentityProvider> {
  const current = await getIdentityProvider(store, name);
  const merged: Record<string, unknown> = { ...current.config };
  for (const f of SECRET_FIELDS) if (Object.hasOwn(patch, f)) delete merged[`${f}_sealed`];
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    // defineProperty: a JSON "__proto__" key stays a plain (refused) field, never the object's prototype.
    else Object.defineProperty(merged, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  const item = { ...merged, name: current.name, type: current.type };
  assertNoProblems(recordProblems(item));
  // Written only if the record merged above is still the stored one (a merge over a stale read would undo another
  // writer's change); a caller's own read (If-Match) conflicts as the store's VersionConflictError.
  let updated: IdentityProvider | undefined;
  try {
    updated = await store.identityProviders.update(storedProvider(item, masterKey), { ifVersion: cond.ifVersion ?? current.version });
  } catch (err) {
    if (err instanceof VersionConflictError && cond.ifVersion === undefined) throw new AdminConflictError(`identity provider ${name} was changed by another writer meanwhile; retry`);
    throw err;
  }
  if (!updated) throw new AdminNotFoundError(`no identity provider ${name}`);
  recordAdminChange(audit, { resource: 'identity_provider', action: 'update', id: name, fields: Object.keys(patch) });
  return updated;
}

/**
 * Removes a provider; existing user links stay, tokens already issued stay valid. `cond`: as for
 * updateIdentityProvider.
 */
export async function removeIdentityProvider(store: Store, name: string, audit?: AdminAudit, cond: IfVersion = {}): Promise<void> {
  if (!(await store.identityProviders.delete(name, cond))) throw new AdminNotFoundError(`no identity provider ${name}`);
  recordAdminChange(audit, { resource: 'identity_provider', action: 'delete', id: name });
}

async function userByName(store: Store, username: string): Promise<User> {
  const user = await store.users.getByUsername(username);
  if (!user) throw new AdminNotFoundError(`no user ${username}`);
  return user;
}

/** Links a provider's subject to an existing local user (pre-linking accounts). A subject links to one user. */
export async function linkSubject(store: Store, provider: string, subject: string, username: string, audit?: AdminAudit): Promise<{ link: UserLink; user: User }> {
  await getIdentityProvider(store, provider);
  const user = await userByName(store, username);
  const existing = await store.userLinks.get(provider, subject);
  if (existing) throw new AdminConflictError(existing.userId === user.id ? `${provider}/${subject} is already linked to ${username}` : `${provider}/${subject} is already linked to another user`);
  const link = await store.userLinks.create({ provider, subject, userId: user.id });
  recordAdminChange(audit, { resource: 'user_link', action: 'create', id: `${provider}/${subject}`, subject: user.id });
  return { link, user };
}

export async function linksOf(store: Store, username: string): Promise<UserLink[]> {
  return store.userLinks.listForUser((await userByName(store, username)).id);
}
