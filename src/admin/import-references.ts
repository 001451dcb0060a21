import type { ImportDocument, ImportFacts } from './import-document.js';
import { parseApiPublicKey } from '../oauth/client-auth/request-signature/index.js';
import { approvedScopeProblems, installationRecordProblems } from './organizations.js';
import { at, type Problem } from './problems.js';
import { scopeProblems, splitScope } from './scope.js';

/**
 * The import document's rules across records: duplicates within a section, and references (installations to
 * organisations and clients of the document, API keys to one client). Written for a document that may be
 * invalid: a malformed record is skipped here, its own problems are reported by its aggregate's rules.
 */
export function records(doc: unknown, section: keyof ImportDocument): unknown[] {
  const list = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[section] : undefined;
  return Array.isArray(list) ? list : [];
}

export function field(item: unknown, name: string): unknown {
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[name] : undefined;
}

/** Reports each value of `key` seen before in the section. */
export function duplicates(items: unknown[], section: string, name: string, key: (item: unknown) => string | undefined, what: (item: unknown) => string): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) out.push({ path: at(at(`$.${section}`, i), name), message: what(item) });
    seen.add(k);
  });
  return out;
}

export const str = (name: string) => (item: unknown) => (typeof field(item, name) === 'string' ? (field(item, name) as string) : undefined);

/** An API key belongs to one client: not to two clients of the document, nor to a stored client of another id. */
export function apiKeyConflicts(clients: unknown[], facts: ImportFacts): Problem[] {
  const owners = new Map(facts.apiKeyOwners);
  const out: Problem[] = [];
  clients.forEach((c, i) => {
    const id = str('client_id')(c);
    const keys = field(c, 'api_keys');
    (Array.isArray(keys) ? keys : []).forEach((k: unknown, j) => {
      const parsed = typeof k === 'string' ? parseApiPublicKey(k) : null;
      if (!parsed || id === undefined) return;
      const owner = owners.get(parsed.normalizedHex);
      if (owner !== undefined && owner !== id) out.push({ path: `$.clients[${i}].api_keys[${j}]`, message: `already belongs to client ${owner}` });
      else owners.set(parsed.normalizedHex, id);
    });
  });
  return out;
}

/** Each installation names an organisation and a client of the document, approves only that client's scopes, once. */
export function installationProblems(items: unknown[], orgIds: ReadonlySet<string | undefined>, clients: unknown[]): Problem[] {
  const out: Problem[] = [];
  const byId = new Map(clients.map((c) => [str('client_id')(c), c]));
  items.forEach((item, i) => {
    const base = `$.installations[${i}]`;
    out.push(...installationRecordProblems(item, base));
    const [org, clientId, scope] = [str('org_id')(item), str('client_id')(item), str('scope')(item)];
    if (org !== undefined && !orgIds.has(org)) out.push({ path: `${base}.org_id`, message: `"${org}" must be listed in organizations of this document` });
    const client = clientId === undefined ? undefined : byId.get(clientId);
    if (clientId !== undefined && !client) out.push({ path: `${base}.client_id`, message: `"${clientId}" must be listed in clients of this document` });
    const clientScope = str('scope')(client);
    if (scope === undefined) return;
    if (clientId !== undefined && clientScope !== undefined) out.push(...approvedScopeProblems(scope, { clientId, scope: splitScope(clientScope) }, `${base}.scope`));
    else out.push(...scopeProblems(scope, `${base}.scope`));
  });
  const pair = (item: unknown) => (str('org_id')(item) === undefined || str('client_id')(item) === undefined ? undefined : JSON.stringify([str('org_id')(item), str('client_id')(item)]));
  out.push(...duplicates(items, 'installations', 'client_id', pair, (item) => `"${str('client_id')(item)}" is installed in "${str('org_id')(item)}" twice`));
  return out;
}
