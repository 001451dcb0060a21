import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Store } from '../store/types.js';
import { hashSecret, isSupportedHash, verifySecret } from '../crypto/password-hash.js';
import { seal } from '../keys/seal.js';
import { AUTH_METHODS, checkClientInput, clientFields, type ClientInput } from './client-input.js';
import { parseApiPublicKey } from '../oauth/client-auth/request-signature/index.js';
import { isValidScopeToken } from '../oauth/scope.js';

const Ttl = Type.Integer({ minimum: 1, maximum: 10 * 365 * 86400 });

const ClientDoc = Type.Object(
  {
    client_id: Type.String({ minLength: 1 }),
    client_secret: Type.Optional(Type.String()),
    client_secret_hash: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    token_endpoint_auth_method: Type.Optional(Type.Union(AUTH_METHODS.map((m) => Type.Literal(m)))),
    grant_types: Type.Array(Type.String(), { minItems: 1 }),
    scope: Type.String(),
    default_scope: Type.Optional(Type.String()),
    audience: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    access_token_ttl: Type.Optional(Ttl),
    access_token_format: Type.Optional(Type.Union([Type.Literal('jwt'), Type.Literal('opaque')])),
    refresh_token_ttl: Type.Optional(Ttl),
    refresh_idle_ttl: Type.Optional(Ttl),
    refresh_reuse_interval: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    introspect_any: Type.Optional(Type.Boolean()),
    rate_limit: Type.Optional(Type.Object({ points: Type.Integer({ minimum: 1 }), duration: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })),
    jwks: Type.Optional(Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) })),
    jwks_uri: Type.Optional(Type.String()),
    api_keys: Type.Optional(Type.Array(Type.String())),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  },
  { additionalProperties: false },
);

const UserDoc = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1 })),
    username: Type.String({ minLength: 1, maxLength: 255 }),
    password: Type.Optional(Type.String({ minLength: 1 })),
    password_hash: Type.Optional(Type.String()),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    scope: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    email_verified: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const OrgDoc = Type.Object(
  { id: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])) },
  { additionalProperties: false },
);

const InstallationDoc = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1 })),
    org_id: Type.String({ minLength: 1 }),
    client_id: Type.String({ minLength: 1 }),
    scope: Type.String(),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked')])),
  },
  { additionalProperties: false },
);

const IdpDoc = Type.Object(
  { name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]{1,64}$' }), type: Type.Union([Type.Literal('oidc'), Type.Literal('introspection'), Type.Literal('jwt_bearer')]) },
  { additionalProperties: true },
);

export const ImportDocumentSchema = Type.Object(
  {
    clients: Type.Optional(Type.Array(ClientDoc)),
    users: Type.Optional(Type.Array(UserDoc)),
    organizations: Type.Optional(Type.Array(OrgDoc)),
    installations: Type.Optional(Type.Array(InstallationDoc)),
    identity_providers: Type.Optional(Type.Array(IdpDoc)),
  },
  { additionalProperties: false },
);

export type ImportDocument = Static<typeof ImportDocumentSchema>;

export class ImportError extends Error {
  constructor(readonly problems: string[]) {
    super(`The import document is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ImportError';
  }
}

/** Validators for sections owned by other modules (identity providers), registered at start-up. */
type SectionValidator = (item: Record<string, unknown>, path: string) => string[];
const idpValidators: SectionValidator[] = [];
export function registerIdentityProviderValidator(v: SectionValidator): void {
  idpValidators.push(v);
}

/** Turns a validated provider config into its stored form (e.g. seals its secrets under the master key). */
type IdpPreparer = (name: string, config: Record<string, unknown>, masterKey: Buffer) => Record<string, unknown>;
let idpPreparer: IdpPreparer = (_name, config) => config;
export function registerIdentityProviderPreparer(p: IdpPreparer): void {
  idpPreparer = p;
}

export function readImportFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ImportError([`${file}: ${(err as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ImportError([`$: not valid JSON (${(err as Error).message})`]);
  }
}

/** Every problem in the document, each with its JSON path. An empty list means it can be applied. */
export function validateImportDocument(doc: unknown): string[] {
  const problems: string[] = [];
  if (!Value.Check(ImportDocumentSchema, doc)) {
    for (const e of Value.Errors(ImportDocumentSchema, doc)) {
      const path = '$' + e.path.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
      problems.push(`${path}: ${e.message}`);
    }
    return [...new Set(problems)].slice(0, 100);
  }
  const d = doc as ImportDocument;
  const seen = new Set<string>();
  d.clients?.forEach((c, i) => {
    if (seen.has(c.client_id)) problems.push(`$.clients[${i}].client_id: duplicate "${c.client_id}"`);
    seen.add(c.client_id);
    for (const [field, msg] of checkClientInput(c as ClientInput, false)) problems.push(`$.clients[${i}].${field}: ${msg}`);
    if (c.client_secret_hash !== undefined && !isSupportedHash(c.client_secret_hash)) problems.push(`$.clients[${i}].client_secret_hash: must be an argon2 PHC string`);
    c.api_keys?.forEach((k, j) => {
      if (!parseApiPublicKey(k)) problems.push(`$.clients[${i}].api_keys[${j}]: not an Ed25519 (64 hex) or compressed secp256k1 (66 hex) public key`);
    });
  });
  const users = new Set<string>();
  d.users?.forEach((u, i) => {
    const key = u.username.normalize('NFKC').toLowerCase();
    if (users.has(key)) problems.push(`$.users[${i}].username: duplicate "${u.username}" (usernames are case-insensitive)`);
    users.add(key);
    if (u.password !== undefined && u.password_hash !== undefined) problems.push(`$.users[${i}]: give password or password_hash, not both`);
    if (u.password_hash !== undefined && !isSupportedHash(u.password_hash)) problems.push(`$.users[${i}].password_hash: must be an argon2 PHC string`);
    for (const s of u.scope?.trim().split(/\s+/).filter(Boolean) ?? []) if (!isValidScopeToken(s)) problems.push(`$.users[${i}].scope: "${s}" is not a valid scope token (RFC 6749 §3.3)`);
  });
  const orgs = new Set(d.organizations?.map((o) => o.id));
  d.installations?.forEach((inst, i) => {
    if (!orgs.has(inst.org_id)) problems.push(`$.installations[${i}].org_id: "${inst.org_id}" must be listed in organizations of this document`);
    if (!seen.has(inst.client_id)) problems.push(`$.installations[${i}].client_id: "${inst.client_id}" must be listed in clients of this document`);
  });
  d.identity_providers?.forEach((p, i) => {
    for (const v of idpValidators) problems.push(...v(p as Record<string, unknown>, `$.identity_providers[${i}]`));
  });
  return problems;
}

export interface ImportSummary {
  clients: { created: number; updated: number };
  users: { created: number; updated: number };
  organizations: { created: number; updated: number };
  installations: { created: number; updated: number };
  identity_providers: { upserted: number };
}

/**
 * Validates the whole document, then upserts it in one transaction: applied whole or not at all, and applying
 * the same document twice changes nothing the second time.
 */
export async function applyImportDocument(store: Store, doc: unknown, opts: { masterKey: Buffer; accessTokenTtl?: number }): Promise<ImportSummary> {
  const problems = validateImportDocument(doc);
  if (problems.length > 0) throw new ImportError(problems);
  const d = doc as ImportDocument;
  const summary: ImportSummary = {
    clients: { created: 0, updated: 0 },
    users: { created: 0, updated: 0 },
    organizations: { created: 0, updated: 0 },
    installations: { created: 0, updated: 0 },
    identity_providers: { upserted: 0 },
  };
  // A NEW client of a secret method needs its secret in the document (an existing one keeps its own): a client
  // created without one could never authenticate. Checked before anything is written.
  const missingSecrets: string[] = [];
  for (const [i, c] of (d.clients ?? []).entries()) {
    const method = c.token_endpoint_auth_method ?? 'client_secret_basic';
    const secretMethod = method === 'client_secret_basic' || method === 'client_secret_post' || method === 'client_secret_jwt';
    if (secretMethod && c.client_secret === undefined && (c.client_secret_hash === undefined || method === 'client_secret_jwt') && !(await store.clients.get(c.client_id))) {
      missingSecrets.push(`$.clients[${i}].client_secret: is required to create a client with token_endpoint_auth_method "${method}"`);
    }
  }
  if (missingSecrets.length > 0) throw new ImportError(missingSecrets);
  // KDF work happens before the transaction so a write lock is never held across tens of milliseconds.
  const clientSecrets = new Map<string, string>();
  for (const c of d.clients ?? []) {
    if (c.client_secret === undefined) continue;
    const existing = await store.clients.get(c.client_id);
    const same = existing?.secretHash ? await verifySecret(existing.secretHash, c.client_secret) : false;
    clientSecrets.set(c.client_id, same ? existing!.secretHash! : await hashSecret(c.client_secret));
  }
  const userHashes = new Map<string, string>();
  for (const u of d.users ?? []) {
    if (u.password === undefined) continue;
    const existing = await store.users.getByUsername(u.username);
    const same = existing?.passwordHash ? await verifySecret(existing.passwordHash, u.password) : false;
    userHashes.set(u.username, same ? existing!.passwordHash! : await hashSecret(u.password));
  }

  await store.transaction(async (tx) => {
    for (const c of d.clients ?? []) {
      const fields = clientFields(c as ClientInput, { accessTokenTtl: opts.accessTokenTtl ?? 3600 });
      const secretHash = clientSecrets.get(c.client_id) ?? c.client_secret_hash ?? null;
      const secretEncrypted = c.token_endpoint_auth_method === 'client_secret_jwt' && c.client_secret ? seal(opts.masterKey, Buffer.from(c.client_secret), `client-secret:${c.client_id}`) : null;
      const existing = await tx.clients.get(c.client_id);
      if (existing) {
        const patch = { ...fields, ...(secretHash !== null ? { secretHash } : {}), ...(secretEncrypted !== null ? { secretEncrypted } : {}) };
        const changed = Object.entries(patch).some(([k, v]) => JSON.stringify(v) !== JSON.stringify((existing as unknown as Record<string, unknown>)[k]));
        if (changed) {
          await tx.clients.update(c.client_id, patch);
          summary.clients.updated++;
        }
      } else {
        await tx.clients.create({ clientId: c.client_id, ...fields, secretHash, secretEncrypted });
        summary.clients.created++;
      }
      for (const k of c.api_keys ?? []) {
        const parsed = parseApiPublicKey(k)!;
        const have = await tx.apiKeys.get(parsed.normalizedHex);
        if (have && have.clientId !== c.client_id) throw new ImportError([`$.clients: API key ${parsed.normalizedHex.slice(0, 12)}... already belongs to another client`]);
        if (!have) await tx.apiKeys.add({ publicKey: parsed.normalizedHex, clientId: c.client_id, kind: parsed.kind });
      }
    }
    for (const u of d.users ?? []) {
      const passwordHash = userHashes.get(u.username) ?? u.password_hash ?? null;
      const fields = {
        username: u.username,
        status: u.status ?? ('active' as const),
        scope: u.scope === undefined ? null : u.scope.trim() === '' ? [] : u.scope.trim().split(/\s+/),
        email: u.email ?? null,
        emailVerified: u.email_verified ?? false,
      };
      const existing = u.id ? await tx.users.get(u.id) : await tx.users.getByUsername(u.username);
      if (existing) {
        const patch = { ...fields, ...(passwordHash !== null ? { passwordHash } : {}) };
        const changed = Object.entries(patch).some(([k, v]) => JSON.stringify(v) !== JSON.stringify((existing as unknown as Record<string, unknown>)[k]));
        if (changed) {
          await tx.users.update(existing.id, patch);
          summary.users.updated++;
        }
      } else {
        await tx.users.create({ id: u.id ?? randomUUID(), ...fields, passwordHash });
        summary.users.created++;
      }
    }
    for (const o of d.organizations ?? []) {
      const existing = await tx.organizations.get(o.id);
      const status = o.status ?? 'active';
      if (existing) {
        if (existing.name !== o.name || existing.status !== status) {
          await tx.organizations.update(o.id, { name: o.name, status });
          summary.organizations.updated++;
        }
      } else {
        await tx.organizations.create({ id: o.id, name: o.name, status });
        summary.organizations.created++;
      }
    }
    const now = Math.floor(Date.now() / 1000);
    for (const inst of d.installations ?? []) {
      const scope = inst.scope.trim() === '' ? [] : inst.scope.trim().split(/\s+/);
      const status = inst.status ?? 'active';
      const existing = await tx.installations.find(inst.org_id, inst.client_id);
      if (existing) {
        if (existing.scope.join(' ') !== scope.join(' ') || existing.status !== status) {
          await tx.installations.update(existing.id, { scope, status, ...(status === 'revoked' && existing.status !== 'revoked' ? { revokedAt: now } : {}) });
          summary.installations.updated++;
        }
      } else {
        await tx.installations.create({ id: inst.id ?? randomUUID(), orgId: inst.org_id, clientId: inst.client_id, scope, status, approvedAt: now, revokedAt: status === 'revoked' ? now : null });
        summary.installations.created++;
      }
    }
    for (const p of d.identity_providers ?? []) {
      const { name, type, ...config } = p as Record<string, unknown> & { name: string; type: 'oidc' | 'introspection' | 'jwt_bearer' };
      await tx.identityProviders.upsert({ name, type, config: idpPreparer(name, config, opts.masterKey) });
      summary.identity_providers.upserted++;
    }
  });
  return summary;
}
