import type { Client, Installation, Organization, User } from '../store/types.js';

/**
 * Custom claims (docs/tokens.md "Custom claims"): a client's `claims` template maps claim names to JSON literals
 * or to references written `{{root.path}}`. A string that is exactly one reference takes the referenced value
 * (any JSON type); a string with references among text becomes text, the references' values written into it
 * (strings as they are, other values as JSON). A claim whose reference resolves to nothing is left out.
 *
 * References (what a token request knows without another look-up):
 *   client.id, client.name, client.metadata.<path>   the client being issued to
 *   user.id, user.username, user.metadata.<path>      the user of a password, refresh or federated grant
 *   user.attributes.<path>                            the same as user.metadata.<path> (the name issue 23 uses)
 *   org.id, org.metadata.<path>                       the organisation of an org_implicit grant (and its refresh)
 *   installation.id, installation.metadata.<path>     the installation of an org_implicit grant (and its refresh)
 *   subject                                           the token's `sub`, whatever the grant
 * The organisation and installation records come from the per-server caches the grant already reads them through
 * (oauth/installations.ts); a grant that has no such record leaves the reference unresolved, so its claim is omitted.
 *
 * A template is compiled once per client record (ClaimTemplates below, kept in the context): a request only
 * walks the compiled parts. A client without a template costs one property check.
 */

/**
 * Claims Tessera sets itself (RFC 9068 §2.2, RFC 7519 §4.1, RFC 8693 §4, RFC 7800, RFC 7662 §2.2 for the
 * introspection answer, and Tessera's own sid / username / org_id / idp): neither a template nor the token hook
 * may set them.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'cnf', 'act', 'may_act',
  'sid', 'username', 'org_id', 'idp', 'active', 'token_type', 'auth_time', 'azp',
]);

export const RESERVED_CLAIM_MESSAGE = 'is a reserved claim Tessera sets itself and cannot be overridden';

/** What a template can read at issuance. */
export interface ClaimSource {
  client: Client;
  subject: string;
  userId?: string | null;
  username?: string | null;
  orgId?: string | null;
  /** The user record, when the grant has one (user.metadata). */
  user?: User | null;
  /** The organisation record, when the grant has one at hand (org.metadata): org_implicit and its refresh. */
  org?: Organization | null;
  /** The installation record, when the grant has one at hand (installation.*): org_implicit and its refresh. */
  installation?: Installation | null;
}

type Getter = (s: ClaimSource) => unknown;
type Part = string | Getter;
interface CompiledClaim {
  name: string;
  /** A literal (no reference), a single getter (the whole value), or parts joined into text. */
  kind: 'literal' | 'reference' | 'text';
  literal?: unknown;
  getter?: Getter;
  parts?: Part[];
}
export type CompiledTemplate = readonly CompiledClaim[];

const REFERENCE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_PATH_DEPTH = 8;

function pathGetter(root: (s: ClaimSource) => unknown, path: readonly string[]): Getter {
  return (s) => {
    let v = root(s);
    for (const key of path) {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
      v = (v as Record<string, unknown>)[key];
    }
    return v;
  };
}

/** Getters that read the client record and nothing else: a template made of these and literals is the same for every token of one client record. */
const CLIENT_ONLY = new WeakSet<Getter>();

const ROOTS: Readonly<Record<string, Getter>> = {
  subject: (s) => s.subject,
  'client.id': (s) => s.client.clientId,
  'client.name': (s) => s.client.name ?? undefined,
  'user.id': (s) => s.userId ?? undefined,
  'user.username': (s) => s.username ?? undefined,
  'org.id': (s) => s.orgId ?? undefined,
  'installation.id': (s) => s.installation?.id ?? undefined,
};
for (const ref of ['client.id', 'client.name']) CLIENT_ONLY.add(ROOTS[ref]!);

/** The metadata objects a path may walk into, by the reference's prefix (`user.attributes` is user.metadata). */
const METADATA_ROOTS: ReadonlyArray<readonly [string, (s: ClaimSource) => unknown]> = [
  ['client.metadata.', (s) => s.client.metadata],
  ['user.metadata.', (s) => s.user?.metadata],
  ['user.attributes.', (s) => s.user?.metadata],
  ['org.metadata.', (s) => s.org?.metadata],
  ['installation.metadata.', (s) => s.installation?.metadata],
];

const KNOWN_REFERENCES = [...Object.keys(ROOTS), ...METADATA_ROOTS.map(([prefix]) => `${prefix}<path>`)].join(', ');

/** The getter of one reference, or the reason it is not one. */
function compileReference(ref: string): Getter | string {
  const fixed = ROOTS[ref];
  if (fixed) return fixed;
  for (const [prefix, root] of METADATA_ROOTS) {
    if (!ref.startsWith(prefix)) continue;
    const path = ref.slice(prefix.length).split('.');
    if (path.length > MAX_PATH_DEPTH || !path.every((p) => SEGMENT.test(p))) return `"{{${ref}}}" has a malformed metadata path`;
    const getter = pathGetter(root, path);
    if (prefix === 'client.metadata.') CLIENT_ONLY.add(getter);
    return getter;
  }
  return `"{{${ref}}}" is not a known reference (${KNOWN_REFERENCES})`;
}

function compileString(value: string): { claim: Omit<CompiledClaim, 'name'> } | { problem: string } {
  const matches = [...value.matchAll(REFERENCE)];
  if (matches.length === 0) {
    if (value.includes('{{') || value.includes('}}')) return { problem: 'has an unclosed or malformed {{reference}}' };
    return { claim: { kind: 'literal', literal: value } };
  }
  const parts: Part[] = [];
  let at = 0;
  for (const m of matches) {
    const getter = compileReference(m[1]!);
    if (typeof getter === 'string') return { problem: getter };
    if (m.index > at) parts.push(value.slice(at, m.index));
    parts.push(getter);
    at = m.index + m[0].length;
  }
  if (at < value.length) parts.push(value.slice(at));
  if (parts.some((p) => typeof p === 'string' && (p.includes('{{') || p.includes('}}')))) return { problem: 'has an unclosed or malformed {{reference}}' };
  if (parts.length === 1 && typeof parts[0] === 'function') return { claim: { kind: 'reference', getter: parts[0] } };
  return { claim: { kind: 'text', parts } };
}

/**
 * Compiles a template, or lists what is wrong with it (claim name -> message): the one check the admin rules
 * (CLI, import document, admin API) and the issuer share, so a stored template always compiles.
 */
export function compileClaimTemplate(template: Readonly<Record<string, unknown>>): { template: CompiledTemplate; problems: Array<{ claim: string; message: string }> } {
  const out: CompiledClaim[] = [];
  const problems: Array<{ claim: string; message: string }> = [];
  for (const [name, value] of Object.entries(template)) {
    if (RESERVED_CLAIMS.has(name)) {
      problems.push({ claim: name, message: RESERVED_CLAIM_MESSAGE });
      continue;
    }
    if (typeof value === 'string') {
      const c = compileString(value);
      if ('problem' in c) problems.push({ claim: name, message: c.problem });
      else out.push({ name, ...c.claim });
    } else {
      // Numbers, booleans, null, arrays and objects are literals (references only live in strings).
      out.push({ name, kind: 'literal', literal: value });
    }
  }
  return { template: out, problems };
}

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Whether every claim of `template` is a literal or reads only the client record. */
function readsOnlyTheClient(template: CompiledTemplate): boolean {
  return template.every((c) => c.kind === 'literal' || (c.kind === 'reference' ? CLIENT_ONLY.has(c.getter!) : c.parts!.every((p) => typeof p === 'string' || CLIENT_ONLY.has(p))));
}

/** The claims of one token: only those whose references all resolved. */
export function evaluateTemplate(template: CompiledTemplate, source: ClaimSource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of template) {
    if (c.kind === 'literal') out[c.name] = c.literal;
    else if (c.kind === 'reference') {
      const v = c.getter!(source);
      if (v !== undefined) out[c.name] = v;
    } else {
      let text = '';
      let missing = false;
      for (const p of c.parts!) {
        if (typeof p === 'string') text += p;
        else {
          const v = p(source);
          if (v === undefined) {
            missing = true;
            break;
          }
          text += textOf(v);
        }
      }
      if (!missing) out[c.name] = text;
    }
  }
  return out;
}

/**
 * The compiled templates of one server, keyed by the client record: a changed client is a new record (the client
 * cache replaces it on every change), so its old compilation is dropped with the old record and the new one is
 * compiled on first use. Lives in the OAuthContext (context.ts).
 */
export class ClaimTemplates {
  private readonly compiled = new WeakMap<Client, { template: CompiledTemplate; fixed: Readonly<Record<string, unknown>> | undefined }>();

  private entry(client: Client): { template: CompiledTemplate; fixed: Readonly<Record<string, unknown>> | undefined } | undefined {
    const raw = client.claims;
    if (raw === null || raw === undefined) return undefined;
    let e = this.compiled.get(client);
    if (e === undefined) {
      // Stored templates were validated; one stored before a rule tightened keeps only the claims that compile.
      const template = compileClaimTemplate(raw).template;
      // A template that reads only the client (literals, client.*) is the same for every token of this record:
      // evaluated once here, frozen, and shared (the formats only read it).
      const fixed = template.length > 0 && readsOnlyTheClient(template) ? Object.freeze(evaluateTemplate(template, { client, subject: '' })) : undefined;
      e = { template, fixed };
      this.compiled.set(client, e);
    }
    return e;
  }

  /** The client's compiled template; undefined when it has none (the common case, one property check). */
  of(client: Client): CompiledTemplate | undefined {
    return this.entry(client)?.template;
  }

  /** The template's claims for one issuance (undefined without a template or claims). */
  claimsFor(source: ClaimSource): Readonly<Record<string, unknown>> | undefined {
    const e = this.entry(source.client);
    if (e === undefined || e.template.length === 0) return undefined;
    return e.fixed ?? evaluateTemplate(e.template, source);
  }
}
