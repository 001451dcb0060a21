import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { IdentityProvider } from '../store/types.js';
import { seal } from '../keys/seal.js';
import { ASYMMETRIC_ALGS } from '../oauth/jwt/verify.js';
import { isAllowedUrl } from '../oauth/jwt/fetch.js';

/**
 * Identity-provider configuration as operators write it (import document `identity_providers`, `tessera idp add`).
 * Wire names are snake_case; the stored record keeps them (IdentityProvider.config) and parseProvider turns them
 * into the typed runtime shape. Secrets (introspection client secret, Facebook app token) are sealed under the
 * master key before they are stored: config holds `*_sealed`, never the clear value.
 */
const Name = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
const Url = Type.String({ minLength: 1, maxLength: 2048 });
const Jwks = Type.Object({ keys: Type.Array(Type.Object({ kty: Type.String() }, { additionalProperties: true }), { minItems: 1 }) }, { additionalProperties: true });
const Algs = Type.Array(Type.Union(ASYMMETRIC_ALGS.map((a) => Type.Literal(a))), { minItems: 1, uniqueItems: true });

const common = {
  name: Name,
  /** Only these clients may exchange this provider's tokens; absent = any client allowed the grant. */
  allowed_clients: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  /** Create a local user (generated username, no password) for a subject seen for the first time. */
  auto_provision: Type.Optional(Type.Boolean()),
  /** Link a new subject to the local user with the same email, only when both sides mark the email verified. */
  link_verified_email: Type.Optional(Type.Boolean()),
  /** Bound on each call to the provider (JWKS fetch, introspection), milliseconds. */
  timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 30_000 })),
  /** Allow http:// URLs that are not loopback (never in production). */
  allow_insecure_http: Type.Optional(Type.Boolean()),
};

const keySource = {
  /** The exact `iss` of the provider's tokens. */
  issuer: Url,
  /** Other spellings of the same issuer (Google ID tokens say "accounts.google.com" or "https://accounts.google.com"). */
  additional_issuers: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1 })),
  jwks_uri: Type.Optional(Url),
  jwks: Type.Optional(Jwks),
  algorithms: Type.Optional(Algs),
  /** An unknown kid refetches the JWKS at most once per this many seconds. */
  jwks_cooldown_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
};

export const OidcProviderSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('oidc'),
    ...keySource,
    /** Accepted `aud` values (for Google ID tokens: your Google OAuth client id). */
    audiences: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    /** Reject tokens whose iat is older than this (seconds). */
    max_token_age: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const IntrospectionProviderSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('introspection'),
    endpoint: Url,
    /** rfc7662 (default): POST token=... with client credentials. facebook: GET debug_token?input_token=...&access_token=<app token>. */
    format: Type.Optional(Type.Union([Type.Literal('rfc7662'), Type.Literal('facebook')])),
    client_id: Type.Optional(Type.String({ minLength: 1 })),
    client_secret: Type.Optional(Type.String({ minLength: 1 })),
    client_secret_sealed: Type.Optional(Type.String({ minLength: 1 })),
    /** rfc7662: the response's aud must contain one of these (when set). */
    audiences: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** rfc7662: the response's client_id must be one of these (when set). */
    accepted_client_ids: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** facebook: your app id; tokens issued to any other app are rejected. */
    app_id: Type.Optional(Type.String({ pattern: '^[0-9]{1,32}$' })),
    /** facebook: the app access token ("APP_ID|APP_SECRET"). */
    app_token: Type.Optional(Type.String({ minLength: 1 })),
    app_token_sealed: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const JwtBearerProviderSchema = Type.Object(
  {
    ...common,
    type: Type.Literal('jwt_bearer'),
    ...keySource,
    /** exp may be at most this far in the future (seconds). */
    max_assertion_lifetime: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    /** Require a jti and accept each only once (default true). */
    require_jti: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const SCHEMAS: Record<IdentityProvider['type'], TSchema> = { oidc: OidcProviderSchema, introspection: IntrospectionProviderSchema, jwt_bearer: JwtBearerProviderSchema };
export const PROVIDER_TYPES = Object.keys(SCHEMAS) as Array<IdentityProvider['type']>;

/** Names that would shadow (or be confused with) a registered grant type in `grant_type=<provider>`. */
const RESERVED = new Set(['authorization_code', 'implicit', 'password', 'client_credentials', 'refresh_token', 'device_code', 'token-exchange', 'jwt-bearer', 'none']);

/** JWK members that only private or symmetric keys have (RFC 7518 §6): a provider's key set must hold public keys. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function jsonPath(base: string, pointer: string): string {
  return base + pointer.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
}

/** One problem with a provider item: the JSON path of the field, and what is wrong with it. */
export interface ProviderProblem {
  path: string;
  message: string;
}

/** Every problem with one provider item, each prefixed with its JSON path (e.g. `$.identity_providers[0].issuer`). */
export function validateProviderInput(item: Record<string, unknown>, path = '$'): string[] {
  return providerProblems(item, path).map((p) => `${p.path}: ${p.message}`);
}

/** Every problem with one provider item, each with its JSON path; schema problems first, one per path. */
export function providerProblems(item: Record<string, unknown>, path = '$'): ProviderProblem[] {
  // Only an own key of SCHEMAS: a non-string `type` (or "constructor", "__proto__") is simply not a provider type.
  const type = (typeof item.type === 'string' && Object.hasOwn(SCHEMAS, item.type) ? item.type : undefined) as IdentityProvider['type'] | undefined;
  const schema = type === undefined ? undefined : SCHEMAS[type];
  if (!schema || type === undefined) return [{ path: `${path}.type`, message: `must be one of ${PROVIDER_TYPES.join(', ')}` }];
  // Schema problems first (TypeBox may report one path twice: the first is the most specific), then the semantic
  // ones (written defensively: the item may not match the schema).
  const problems: ProviderProblem[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, item)) {
    const at = jsonPath(path, e.path);
    if (seen.has(at)) continue;
    seen.add(at);
    problems.push({ path: at, message: e.message });
    if (problems.length === 20) break;
  }
  const add = (at: string, message: string) => problems.push({ path: at, message });
  const insecure = item.allow_insecure_http === true;
  const name = typeof item.name === 'string' ? item.name : '';
  if (RESERVED.has(name.toLowerCase())) add(`${path}.name`, `"${name}" is reserved (it names a grant type)`);
  const url = (field: string) => {
    const v = item[field];
    if (typeof v === 'string' && !isAllowedUrl(v, insecure)) add(`${path}.${field}`, 'must be an https URL (http only for loopback hosts or with allow_insecure_http)');
  };
  if (type === 'oidc' || type === 'jwt_bearer') {
    const c = item as Static<typeof OidcProviderSchema> | Static<typeof JwtBearerProviderSchema>;
    url('issuer');
    // An additional issuer may be a bare StringOrURI (RFC 7519 §2); when it is a URL, the https rule applies.
    if (Array.isArray(c.additional_issuers)) c.additional_issuers.forEach((iss, i) => {
      if (typeof iss === 'string' && iss.includes('://') && !isAllowedUrl(iss, insecure)) add(`${path}.additional_issuers[${i}]`, 'must be an https URL (http only for loopback hosts or with allow_insecure_http)');
    });
    url('jwks_uri');
    if ((c.jwks_uri === undefined) === (c.jwks === undefined)) add(path, 'give exactly one of jwks_uri or jwks');
    const keys: unknown = (c.jwks as { keys?: unknown } | undefined)?.keys;
    if (Array.isArray(keys)) keys.forEach((k: unknown, i) => {
      if (typeof k !== 'object' || k === null) return;
      const priv = PRIVATE_MEMBERS.filter((m) => m in k);
      if (priv.length > 0) add(`${path}.jwks.keys[${i}]`, `must be a public key (has ${priv.join(', ')})`);
    });
  }
  if (type === 'introspection') {
    const c = item as Static<typeof IntrospectionProviderSchema>;
    url('endpoint');
    if ((c.format ?? 'rfc7662') === 'rfc7662') {
      if (c.client_id === undefined) add(`${path}.client_id`, 'required for an RFC 7662 introspection provider');
      if (c.client_secret === undefined && c.client_secret_sealed === undefined) add(`${path}.client_secret`, 'required for an RFC 7662 introspection provider');
      for (const f of ['app_id', 'app_token', 'app_token_sealed']) if (f in c) add(`${path}.${f}`, 'only for format "facebook"');
    } else {
      if (c.app_id === undefined) add(`${path}.app_id`, 'required for format "facebook" (tokens of other apps must be rejected)');
      if (c.app_token === undefined && c.app_token_sealed === undefined) add(`${path}.app_token`, 'required for format "facebook"');
      for (const f of ['client_id', 'client_secret', 'client_secret_sealed', 'audiences', 'accepted_client_ids']) if (f in c) add(`${path}.${f}`, 'only for format "rfc7662"');
    }
    if (c.client_secret !== undefined && c.client_secret_sealed !== undefined) add(path, 'give client_secret or client_secret_sealed, not both');
    if (c.app_token !== undefined && c.app_token_sealed !== undefined) add(path, 'give app_token or app_token_sealed, not both');
  }
  return problems;
}

export function secretAad(provider: string, field: string): string {
  return `idp:${provider}:${field}`;
}

/** Replaces clear secrets by their sealed form before the config is stored (secrets never in the database in clear). */
export function sealProviderSecrets(name: string, config: Record<string, unknown>, masterKey: Buffer): Record<string, unknown> {
  const out = { ...config };
  for (const field of ['client_secret', 'app_token']) {
    const v = out[field];
    if (typeof v !== 'string') continue;
    delete out[field];
    out[`${field}_sealed`] = seal(masterKey, Buffer.from(v, 'utf8'), secretAad(name, field));
  }
  return out;
}

/** What operators see of a stored provider: sealed secrets are reported as present, never shown. */
export function describeProvider(idp: IdentityProvider): Record<string, unknown> {
  const shown: Record<string, unknown> = { name: idp.name, type: idp.type };
  for (const [k, v] of Object.entries(idp.config)) {
    if (k.endsWith('_sealed')) shown[k.slice(0, -'_sealed'.length)] = '(sealed)';
    else shown[k] = v;
  }
  shown.updated_at = new Date(idp.updatedAt * 1000).toISOString();
  return shown;
}
