import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../store/types.js';
import { normalizeUsername } from '../oauth/users.js';
import { parseApiPublicKey } from '../oauth/client-auth/request-signature/index.js';
import { ClientRecordSchema } from './client-fields.js';
import { clientProblems } from './client-rules.js';
import { UserRecordSchema, userProblems } from './user-fields.js';
import { InstallationRecordSchema, OrganizationRecordSchema, organizationProblems } from './organizations.js';
import { identityProviderProblems } from './identity-providers.js';
import { AdminValidationError, schemaProblems, type Problem } from './problems.js';
import { apiKeyConflicts, duplicates, field, installationProblems, records, str } from './import-references.js';

/**
 * The import document: a declarative JSON document of clients, users, organisations, installations and identity
 * providers (docs/configuration.md), applied by `tessera import` and `serve --import`. Each record is stated
 * whole; each section's records are checked by their aggregate's rules, then the references between them.
 */
const IdpRecordSchema = Type.Object(
  { name: Type.String({ minLength: 1 }), type: Type.Union([Type.Literal('oidc'), Type.Literal('introspection'), Type.Literal('jwt_bearer')]) },
  { additionalProperties: true },
);

const ImportDocumentSchema = Type.Object(
  {
    clients: Type.Optional(Type.Array(ClientRecordSchema)),
    users: Type.Optional(Type.Array(UserRecordSchema)),
    organizations: Type.Optional(Type.Array(OrganizationRecordSchema)),
    installations: Type.Optional(Type.Array(InstallationRecordSchema)),
    identity_providers: Type.Optional(Type.Array(IdpRecordSchema)),
  },
  { additionalProperties: false },
);
export type ImportDocument = Static<typeof ImportDocumentSchema>;

/** The document's outline: which sections exist and are lists. The records are checked one by one. */
const Outline = Type.Object(
  Object.fromEntries(Object.keys(ImportDocumentSchema.properties).map((k) => [k, Type.Optional(Type.Array(Type.Unknown()))])),
  { additionalProperties: false },
);

export const IMPORT_PROBLEM_HEADING = 'The import document is invalid';
const MAX_PROBLEMS = 100;

export function readImportFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AdminValidationError([{ path: file, message: (err as Error).message }], IMPORT_PROBLEM_HEADING);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AdminValidationError([{ path: '$', message: `not valid JSON (${(err as Error).message})` }], IMPORT_PROBLEM_HEADING);
  }
}

/** What the rules need to know of the store: read before validating, so one pass reports everything. */
export interface ImportFacts {
  /** Ids of the document's clients that are stored already (they keep their secret when the document gives none). */
  existingClients: ReadonlySet<string>;
  /** Names of the stored identity providers (a client's grant_types may list them). */
  providers: ReadonlySet<string>;
  /** The stored owner of each API key the document lists (normalised hex -> client id). */
  apiKeyOwners: ReadonlyMap<string, string>;
}

const NO_FACTS: ImportFacts = { existingClients: new Set(), providers: new Set(), apiKeyOwners: new Map() };

/** Reads the facts for a document that may be invalid (anything malformed is simply not looked up). */
export async function importFacts(store: Store, doc: unknown): Promise<ImportFacts> {
  const existingClients = new Set<string>();
  const apiKeyOwners = new Map<string, string>();
  for (const c of records(doc, 'clients')) {
    const id = field(c, 'client_id');
    if (typeof id === 'string' && (await store.clients.get(id))) existingClients.add(id);
    const keys = field(c, 'api_keys');
    for (const k of Array.isArray(keys) ? keys : []) {
      const parsed = typeof k === 'string' ? parseApiPublicKey(k) : null;
      const owner = parsed && (await store.apiKeys.get(parsed.normalizedHex));
      if (owner) apiKeyOwners.set(owner.publicKey, owner.clientId);
    }
  }
  return { existingClients, providers: new Set((await store.identityProviders.list()).map((p) => p.name)), apiKeyOwners };
}

/**
 * Every problem in the document in one pass (the outline, each record's schema and rules, the references between
 * records and to the store), each with its JSON path. An empty list means it can be applied.
 */
export function validateImportDocument(doc: unknown, facts: ImportFacts = NO_FACTS): Problem[] {
  const problems = schemaProblems(Outline, doc, '$');
  const clients = records(doc, 'clients');
  const idps = records(doc, 'identity_providers');
  const providers = new Set([...facts.providers, ...idps.map(str('name')).filter((n) => n !== undefined)]);
  clients.forEach((c, i) => problems.push(...clientProblems(c, `$.clients[${i}]`, { exists: facts.existingClients.has(str('client_id')(c) ?? ''), providers })));
  problems.push(...duplicates(clients, 'clients', 'client_id', str('client_id'), (c) => `duplicate "${str('client_id')(c)}"`));
  problems.push(...apiKeyConflicts(clients, facts));
  const users = records(doc, 'users');
  users.forEach((u, i) => problems.push(...userProblems(u, `$.users[${i}]`)));
  const username = str('username');
  problems.push(...duplicates(users, 'users', 'username', (u) => (username(u) === undefined ? undefined : normalizeUsername(username(u)!)), (u) => `duplicate "${username(u)}" (usernames are case-insensitive)`));
  const orgs = records(doc, 'organizations');
  orgs.forEach((o, i) => problems.push(...organizationProblems(o, `$.organizations[${i}]`)));
  problems.push(...duplicates(orgs, 'organizations', 'id', str('id'), (o) => `duplicate "${str('id')(o)}"`));
  problems.push(...installationProblems(records(doc, 'installations'), new Set(orgs.map(str('id'))), clients));
  idps.forEach((p, i) => problems.push(...identityProviderProblems(p, `$.identity_providers[${i}]`)));
  problems.push(...duplicates(idps, 'identity_providers', 'name', str('name'), (p) => `duplicate "${str('name')(p)}"`));
  return problems.slice(0, MAX_PROBLEMS);
}
