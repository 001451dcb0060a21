import type { AuthMethod } from '../store/types.js';
import { isSupportedHash } from '../crypto/password-hash.js';
import { isAllowedUrl } from '../oauth/jwt/fetch.js';
import { CORE_GRANTS } from '../oauth/grants/index.js';
import { TOKEN_EXCHANGE } from '../federation/grants/token-exchange.js';
import { JWT_BEARER } from '../federation/grants/jwt-bearer.js';
import { parseApiPublicKey } from '../oauth/client-auth/request-signature/index.js';
import { CLIENT_FIELDS, ClientRecordSchema, type ClientInput } from './client-fields.js';
import { wellTyped } from './fields.js';
import { at, schemaProblems, type Problem } from './problems.js';
import { scopeProblems, splitScope } from './scope.js';
import { metadataProblems } from './metadata.js';
import { compileClaimTemplate } from '../oauth/claims.js';
import { mtlsProblems } from './client-mtls-rules.js';

/** Methods that authenticate with a shared secret: such a client needs one (RFC 6749 §2.3.1, RFC 7523 §2.2). */
export function isSecretMethod(method: AuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post' || method === 'client_secret_jwt';
}

/**
 * Length in characters of a generated client secret: client_secret_jwt uses the secret's bytes as the HMAC key,
 * which RFC 7518 §3.2 wants at least as long as the hash (64 bytes for HS512); 32 random bytes (43 characters)
 * for the methods that only compare it.
 */
export function generatedSecretBytes(method: AuthMethod): number {
  return method === 'client_secret_jwt' ? 48 : 32;
}

/**
 * Every grant type a server registers (the core's, then federation's: federation.ts's extension), with whether a
 * public client is refused it. A server's registry is built per server (oauth/context.ts); the rules need only
 * the names, without a server.
 */
const KNOWN_GRANTS: ReadonlyMap<string, { confidentialOnly: boolean }> = new Map([
  ...CORE_GRANTS.map((g) => [g.grantType, { confidentialOnly: g.confidentialOnly }] as const),
  [TOKEN_EXCHANGE, { confidentialOnly: false }],
  [JWT_BEARER, { confidentialOnly: false }],
]);

/** The grant types a client may be given besides identity-provider names (RFC 8414 grant_types_supported). */
export function supportedGrantTypes(): string[] {
  return [...KNOWN_GRANTS.keys()];
}

const MIN_CLIENT_SECRET = 8;
export const API_KEY_PROBLEM = 'not an Ed25519 (64 hex) or compressed secp256k1 (66 hex) public key';

/** What the rules need to know beyond the record itself. */
export interface ClientFacts {
  /** A client with this id is stored already (the secret it has is kept when the input gives none). */
  exists: boolean;
  /** Identity provider names, which grant_types may list (KnetikCloud's grant_type=<provider>, federation/subject-token.ts). */
  providers: ReadonlySet<string>;
}

// RFC 6749 Appendix A.1: client-id = *VSCHAR (%x20-7E). Leading/trailing spaces are refused: they are invisible in output.
const CLIENT_ID = /^[\x21-\x7E]([\x20-\x7E]{0,253}[\x21-\x7E])?$/;

/**
 * Every problem with one client record (schema and rules together), paths under `base` ('' for a lone record,
 * '$.clients[3]' in the import document). The record is stated whole: an update is checked as the merged result.
 */
export function clientProblems(item: unknown, base: string, facts: ClientFacts): Problem[] {
  const problems = schemaProblems(ClientRecordSchema, item, base);
  const { view: c, broken } = wellTyped<ClientInput>(CLIENT_FIELDS, item);
  const ok = (...fields: Array<keyof ClientInput>) => fields.every((f) => !broken.has(f));
  const add = (field: string, message: string) => problems.push({ path: at(base, field), message });
  const method = c.token_endpoint_auth_method ?? 'client_secret_basic';

  if (c.client_id !== undefined && !CLIENT_ID.test(c.client_id)) add('client_id', 'must be 1-255 printable ASCII characters (inner spaces allowed)');
  if (c.scope !== undefined) problems.push(...scopeProblems(c.scope, at(base, 'scope')));
  if (c.default_scope !== undefined && ok('scope')) {
    const allowed = new Set(splitScope(c.scope ?? ''));
    for (const s of splitScope(c.default_scope)) if (!allowed.has(s)) add('default_scope', `"${s}" is not in scope`);
  }
  if (ok('token_endpoint_auth_method')) {
    for (const g of c.grant_types ?? []) {
      const grant = KNOWN_GRANTS.get(g);
      if (!grant && !facts.providers.has(g)) add('grant_types', `"${g}" is neither a grant type of this server (${supportedGrantTypes().join(', ')}) nor an identity provider name`);
      // RFC 6749 §2.1, §4.4: the token endpoint refuses these grants to a public client, so it could never use them.
      if (grant?.confidentialOnly && method === 'none') add('grant_types', `"${g}" is for confidential clients only, and token_endpoint_auth_method "none" makes this a public client`);
    }
  }
  if (ok('token_endpoint_auth_method', 'client_secret', 'client_secret_hash')) problems.push(...secretProblems(c, method, base, facts));
  if (c.client_secret !== undefined && c.client_secret.length < MIN_CLIENT_SECRET) add('client_secret', `must be at least ${MIN_CLIENT_SECRET} characters`);
  if (c.client_secret_hash !== undefined && !isSupportedHash(c.client_secret_hash)) add('client_secret_hash', 'must be an argon2 PHC string');
  if (method === 'private_key_jwt' && ok('token_endpoint_auth_method', 'jwks', 'jwks_uri') && c.jwks === undefined && c.jwks_uri === undefined) add('jwks', 'private_key_jwt needs jwks or jwks_uri');
  // Client authentication fetches only these (oauth/client-auth/private-key-jwt.ts): any other URL would never be used.
  if (c.jwks_uri !== undefined && !isAllowedUrl(c.jwks_uri, false)) add('jwks_uri', 'must be an https URL (http only for loopback hosts)');
  c.allowed_origins?.forEach((o, i) => {
    const problem = originProblem(o);
    if (problem) problems.push({ path: at(at(base, 'allowed_origins'), i), message: problem });
  });
  // Delegation happens in token exchange only (RFC 8693 §1.1): without that grant the policy could never apply.
  if (c.delegation !== undefined && ok('grant_types') && !(c.grant_types ?? []).includes(TOKEN_EXCHANGE)) add('delegation', `needs the grant type ${TOKEN_EXCHANGE}`);
  c.allowed_resources?.forEach((r, i) => {
    // An entry is a resource (RFC 8707: absolute URI, no fragment) or an audience; either way one token without
    // whitespace (a request's audience values are split on it), and never a fragment.
    if (/\s/.test(r) || r.includes('#')) problems.push({ path: at(at(base, 'allowed_resources'), i), message: 'must not contain whitespace or a fragment (#)' });
  });
  if (c.metadata !== undefined) problems.push(...metadataProblems(c.metadata, at(base, 'metadata')));
  if (c.claims !== undefined) {
    for (const p of compileClaimTemplate(c.claims).problems) add(`claims.${p.claim}`, p.message);
    problems.push(...metadataProblems(c.claims, at(base, 'claims')));
  }
  problems.push(...mtlsProblems(c, method, ok, base));
  c.api_keys?.forEach((k, i) => {
    if (!parseApiPublicKey(k)) problems.push({ path: at(at(base, 'api_keys'), i), message: API_KEY_PROBLEM });
  });
  return problems;
}

/**
 * An allowed CORS origin is an origin exactly as a browser sends it in the Origin header (RFC 6454 §6.2):
 * scheme "://" host [":" port], lower case, no default port, no path and no trailing slash. The CORS check is an
 * exact string comparison (http/cors.ts), so anything else could never match.
 */
export function originProblem(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as https://app.example';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https origin';
  if (url.origin !== origin) return `must be exactly the origin a browser sends (${url.origin}), without path, trailing slash or default port`;
  return undefined;
}

function secretProblems(c: Partial<ClientInput>, method: AuthMethod, base: string, facts: ClientFacts): Problem[] {
  const path = at(base, 'client_secret');
  const out: Problem[] = [];
  if (method === 'none' && (c.client_secret !== undefined || c.client_secret_hash !== undefined)) out.push({ path, message: 'a public client (token_endpoint_auth_method "none") has no secret' });
  // A new client of a secret method needs its secret (an existing one keeps its own): it could never authenticate.
  if (isSecretMethod(method) && !facts.exists && c.client_secret === undefined && (c.client_secret_hash === undefined || method === 'client_secret_jwt')) {
    out.push({ path, message: method === 'client_secret_jwt' && c.client_secret_hash !== undefined ? 'client_secret_jwt needs the plain secret (HMAC key)' : `is required to create a client with token_endpoint_auth_method "${method}"` });
  }
  return out;
}
