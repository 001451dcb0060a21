import type { AuthMethod, NewClient } from '../store/types.js';
import { isValidScopeToken } from '../oauth/scope.js';

/** A client as operators write it (import document, CLI flags): wire names, scope as a string. */
export interface ClientInput {
  client_id: string;
  client_secret?: string;
  client_secret_hash?: string;
  name?: string;
  token_endpoint_auth_method?: AuthMethod;
  grant_types?: string[];
  scope?: string;
  default_scope?: string;
  audience?: string[];
  access_token_ttl?: number;
  access_token_format?: 'jwt' | 'opaque';
  refresh_token_ttl?: number;
  refresh_idle_ttl?: number;
  refresh_reuse_interval?: number;
  introspect_any?: boolean;
  rate_limit?: { points: number; duration: number };
  jwks?: unknown;
  jwks_uri?: string;
  status?: 'active' | 'disabled';
}

export const AUTH_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none', 'request_signature'];
const GRANT_TYPE = /^[A-Za-z0-9_.:\-/]{1,200}$/;

function scopeList(s: string | undefined): string[] {
  return s === undefined || s.trim() === '' ? [] : s.trim().split(/\s+/);
}

/** Semantic checks the JSON schema cannot express. Returns [jsonPathSuffix, message] pairs. */
export function checkClientInput(c: ClientInput, creating: boolean): Array<[string, string]> {
  const errors: Array<[string, string]> = [];
  const method = c.token_endpoint_auth_method ?? 'client_secret_basic';
  // RFC 6749 Appendix A.1: client-id = *VSCHAR (%x20-7E). Leading/trailing spaces are refused: they are invisible in output.
  if (!/^[\x21-\x7E]([\x20-\x7E]{0,253}[\x21-\x7E])?$/.test(c.client_id)) errors.push(['client_id', 'must be 1-255 printable ASCII characters (inner spaces allowed)']);
  for (const s of scopeList(c.scope)) if (!isValidScopeToken(s)) errors.push(['scope', `"${s}" is not a valid scope token (RFC 6749 §3.3)`]);
  const allowed = new Set(scopeList(c.scope));
  for (const s of scopeList(c.default_scope)) if (!allowed.has(s)) errors.push(['default_scope', `"${s}" is not in scope`]);
  for (const g of c.grant_types ?? []) if (!GRANT_TYPE.test(g)) errors.push(['grant_types', `"${g}" is not a valid grant type name`]);
  const secretMethod = method === 'client_secret_basic' || method === 'client_secret_post' || method === 'client_secret_jwt';
  if (method === 'none' && (c.client_secret !== undefined || c.client_secret_hash !== undefined)) errors.push(['client_secret', 'a public client (token_endpoint_auth_method "none") has no secret']);
  if (secretMethod && creating && c.client_secret === undefined && c.client_secret_hash === undefined) errors.push(['client_secret', `is required for token_endpoint_auth_method "${method}"`]);
  if (method === 'client_secret_jwt' && c.client_secret === undefined && creating) errors.push(['client_secret', 'client_secret_jwt needs the plain secret (HMAC key)']);
  if (c.client_secret !== undefined && c.client_secret.length < 8) errors.push(['client_secret', 'must be at least 8 characters']);
  if (method === 'private_key_jwt' && creating && c.jwks === undefined && c.jwks_uri === undefined) errors.push(['jwks', 'private_key_jwt needs jwks or jwks_uri']);
  if (c.jwks_uri !== undefined && !/^https?:\/\//.test(c.jwks_uri)) errors.push(['jwks_uri', 'must be an http(s) URL']);
  return errors;
}

/** Maps operator input onto the stored shape (secrets handled by the caller). */
export function clientFields(c: ClientInput, defaults: { accessTokenTtl: number }): Omit<NewClient, 'clientId' | 'secretHash' | 'secretEncrypted'> {
  const scope = scopeList(c.scope);
  return {
    name: c.name ?? null,
    tokenEndpointAuthMethod: c.token_endpoint_auth_method ?? 'client_secret_basic',
    grantTypes: c.grant_types ?? ['client_credentials'],
    scope,
    defaultScope: c.default_scope === undefined ? null : scopeList(c.default_scope),
    audience: c.audience ?? null,
    accessTokenTtl: c.access_token_ttl ?? defaults.accessTokenTtl,
    accessTokenFormat: c.access_token_format ?? 'jwt',
    refreshTokenTtl: c.refresh_token_ttl ?? null,
    refreshIdleTtl: c.refresh_idle_ttl ?? null,
    refreshReuseInterval: c.refresh_reuse_interval ?? 0,
    introspectAny: c.introspect_any ?? false,
    jwks: c.jwks ?? null,
    jwksUri: c.jwks_uri ?? null,
    rateLimit: c.rate_limit ?? null,
    status: c.status ?? 'active',
  };
}
