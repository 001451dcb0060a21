import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { AuthMethod, Client, NewClient, SecretOverlapField } from '../store/types.js';
import { describeSecrets } from './client-secret-view.js';
import { recordSchema, type Field } from './fields.js';
import { splitScope } from './scope.js';
import { MetadataSchema } from './metadata.js';

/**
 * The one table of client fields. The import document's schema, the CLI's flags, the stored record and what
 * operators are shown all come from it: adding a client field means adding an entry here (and its column).
 */
const AUTH_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none', 'request_signature', 'tls_client_auth', 'self_signed_tls_client_auth'];

/** The stored settings a field maps to (secrets, keys and the id are the service's business). */
export type ClientSettings = Omit<NewClient, 'clientId' | 'secretHash' | 'secretEncrypted' | SecretOverlapField>;

export interface ClientDefaults {
  /** The server's default access-token lifetime (config accessTokenTtl). */
  accessTokenTtl: number;
}

interface ClientField<S extends TSchema = TSchema> extends Field<S> {
  /** The stored setting and how the input (undefined = absent) becomes it, and back (undefined = not set). */
  setting?: { key: keyof ClientSettings; toStored(value: Static<S> | undefined, d: ClientDefaults): unknown; fromStored(c: Client): Static<S> | undefined };
  /** Shown by `client show` and the like (default true when there is a setting). */
  shown?: false;
}

function field<S extends TSchema, O extends Omit<ClientField<S>, 'schema'>>(schema: S, opts: O): { schema: S } & O {
  return { schema, ...opts };
}

const Ttl = Type.Integer({ minimum: 1, maximum: 10 * 365 * 86400 });
const orNull = <T>(v: T | undefined): T | null => v ?? null;
const orUndefined = <T>(v: T | null): T | undefined => v ?? undefined;

export const CLIENT_FIELDS = {
  client_id: field(Type.String({ minLength: 1 }), { required: true, flag: { flag: '--id <client_id>', help: 'client id (default: generated)', kind: 'text', createOnly: true } }),
  client_secret: field(Type.String(), { flag: { flag: '--secret <secret>', help: 'use this secret instead of generating one', kind: 'text', createOnly: true } }),
  client_secret_hash: field(Type.String(), {}),
  name: field(Type.String(), {
    flag: { flag: '--name <name>', help: 'display name', kind: 'text' },
    setting: { key: 'name', toStored: orNull, fromStored: (c) => orUndefined(c.name) },
  }),
  status: field(Type.Union([Type.Literal('active'), Type.Literal('disabled')]), {
    flag: { flag: '--status <active|disabled>', help: 'client status', kind: 'text' },
    setting: { key: 'status', toStored: (v) => v ?? 'active', fromStored: (c) => c.status },
  }),
  token_endpoint_auth_method: field(Type.Union(AUTH_METHODS.map((m) => Type.Literal(m))), {
    flag: { flag: '--auth-method <method>', help: `token endpoint auth method: ${AUTH_METHODS.join(', ')}`, kind: 'text' },
    setting: { key: 'tokenEndpointAuthMethod', toStored: (v) => v ?? 'client_secret_basic', fromStored: (c) => c.tokenEndpointAuthMethod },
  }),
  grant_types: field(Type.Array(Type.String(), { minItems: 1 }), {
    required: true,
    initial: ['client_credentials'],
    flag: { flag: '--grant <type>', help: 'allowed grant type (repeatable or comma-separated)', kind: 'repeatable-csv' },
    setting: { key: 'grantTypes', toStored: (v) => v ?? ['client_credentials'], fromStored: (c) => c.grantTypes },
  }),
  scope: field(Type.String(), {
    required: true,
    initial: '',
    flag: { flag: '--scope <scopes>', help: 'allowed scopes, space-delimited', kind: 'text' },
    setting: { key: 'scope', toStored: (v) => splitScope(v ?? ''), fromStored: (c) => c.scope.join(' ') },
  }),
  default_scope: field(Type.String(), {
    flag: { flag: '--default-scope <scopes>', help: 'scopes granted when a request names none (default: all allowed)', kind: 'text' },
    setting: { key: 'defaultScope', toStored: (v) => (v === undefined ? null : splitScope(v)), fromStored: (c) => c.defaultScope?.join(' ') },
  }),
  audience: field(Type.Array(Type.String({ minLength: 1 })), {
    flag: { flag: '--audience <aud>', help: 'access token audience (repeatable)', kind: 'repeatable' },
    setting: { key: 'audience', toStored: orNull, fromStored: (c) => orUndefined(c.audience) },
  }),
  access_token_ttl: field(Ttl, {
    flag: { flag: '--ttl <seconds>', help: 'access token lifetime', kind: 'integer' },
    setting: { key: 'accessTokenTtl', toStored: (v, d) => v ?? d.accessTokenTtl, fromStored: (c) => c.accessTokenTtl },
  }),
  access_token_format: field(Type.Union([Type.Literal('jwt'), Type.Literal('opaque')]), {
    flag: { flag: '--format <jwt|opaque>', help: 'access token format', kind: 'text' },
    setting: { key: 'accessTokenFormat', toStored: (v) => v ?? 'jwt', fromStored: (c) => c.accessTokenFormat },
  }),
  refresh_token_ttl: field(Ttl, {
    flag: { flag: '--refresh-ttl <seconds>', help: 'absolute refresh-token family lifetime', kind: 'integer' },
    setting: { key: 'refreshTokenTtl', toStored: orNull, fromStored: (c) => orUndefined(c.refreshTokenTtl) },
  }),
  refresh_idle_ttl: field(Ttl, {
    flag: { flag: '--refresh-idle-ttl <seconds>', help: 'refresh-token idle timeout', kind: 'integer' },
    setting: { key: 'refreshIdleTtl', toStored: orNull, fromStored: (c) => orUndefined(c.refreshIdleTtl) },
  }),
  refresh_reuse_interval: field(Type.Integer({ minimum: 0, maximum: 3600 }), {
    flag: { flag: '--reuse-interval <seconds>', help: 'tolerated refresh-token reuse interval (lost-response retry)', kind: 'integer' },
    setting: { key: 'refreshReuseInterval', toStored: (v) => v ?? 0, fromStored: (c) => c.refreshReuseInterval },
  }),
  introspect_any: field(Type.Boolean(), {
    flag: { flag: '--introspect-any', help: 'may introspect tokens of other clients', kind: 'switch' },
    setting: { key: 'introspectAny', toStored: (v) => v ?? false, fromStored: (c) => c.introspectAny },
  }),
  rate_limit: field(Type.Object({ points: Type.Integer({ minimum: 1 }), duration: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), {
    flag: { flag: '--rate-limit <points/seconds>', help: 'per-client rate limit, e.g. 100/60', kind: 'points-per-seconds' },
    setting: { key: 'rateLimit', toStored: orNull, fromStored: (c) => orUndefined(c.rateLimit) },
  }),
  allowed_resources: field(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 }), {
    flag: { flag: '--allowed-resource <uri>', help: 'resource (RFC 8707) or audience the client may ask for (repeatable; default: its audience list)', kind: 'repeatable' },
    setting: { key: 'allowedResources', toStored: orNull, fromStored: (c) => orUndefined(c.allowedResources ?? null) },
  }),
  metadata: field(MetadataSchema, {
    flag: { flag: '--metadata <json|key=value>', help: 'metadata claim templates may reference (a JSON object, or key=value; repeatable)', kind: 'json-object' },
    setting: { key: 'metadata', toStored: orNull, fromStored: (c) => orUndefined(c.metadata ?? null) },
  }),
  claims: field(Type.Object({}, { additionalProperties: true }), {
    flag: { flag: '--claims <json|name=value>', help: 'custom claim template, e.g. plan={{client.metadata.plan}} (a JSON object, or name=value; repeatable)', kind: 'json-object' },
    setting: { key: 'claims', toStored: orNull, fromStored: (c) => orUndefined(c.claims ?? null) },
  }),
  token_hook: field(Type.Union([Type.Literal('fail_open'), Type.Literal('fail_closed')]), {
    flag: { flag: '--token-hook <fail_open|fail_closed>', help: 'call the token hook before issuing, and what its failure means (default: not called)', kind: 'text' },
    setting: { key: 'tokenHook', toStored: orNull, fromStored: (c) => orUndefined(c.tokenHook ?? null) },
  }),
  jwks: field(Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }), {
    shown: false,
    setting: { key: 'jwks', toStored: orNull, fromStored: (c) => orUndefined(c.jwks as { keys: Array<Record<string, unknown>> } | null) },
  }),
  jwks_uri: field(Type.String(), {
    flag: { flag: '--jwks-uri <url>', help: 'client JWKS URL (private_key_jwt keys, self_signed_tls_client_auth certificates)', kind: 'text' },
    setting: { key: 'jwksUri', toStored: orNull, fromStored: (c) => orUndefined(c.jwksUri) },
  }),
  delegation: field(
    Type.Object(
      {
        actors: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100 }),
        may_act_for: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 100 }),
      },
      { additionalProperties: false },
    ),
    {
      // JSON only (import document, admin API): two lists are one setting, so there is no single CLI flag for it.
      setting: { key: 'delegation', toStored: orNull, fromStored: (c) => orUndefined(c.delegation ?? null) },
    },
  ),
  allowed_origins: field(Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 100 }), {
    flag: { flag: '--allowed-origin <origin>', help: 'browser origin allowed CORS on the token endpoints, e.g. https://app.example (repeatable)', kind: 'repeatable' },
    setting: { key: 'allowedOrigins', toStored: (v) => (v === undefined || v.length === 0 ? null : v), fromStored: (c) => orUndefined(c.allowedOrigins ?? null) },
  }),
  // RFC 8705 §2.1.2: how a tls_client_auth client's certificate names it, exactly one of these (client-rules.ts).
  tls_client_auth_subject_dn: field(Type.String({ minLength: 1, maxLength: 1024 }), {
    flag: { flag: '--tls-subject-dn <dn>', help: 'tls_client_auth: the certificate subject DN (RFC 4514, e.g. "CN=svc,O=Example,C=DE")', kind: 'text' },
    setting: { key: 'tlsClientAuthSubjectDn', toStored: orNull, fromStored: (c) => orUndefined(c.tlsClientAuthSubjectDn ?? null) },
  }),
  tls_client_auth_san_dns: field(Type.String({ minLength: 1, maxLength: 253 }), {
    flag: { flag: '--tls-san-dns <name>', help: 'tls_client_auth: a dNSName subjectAltName of the certificate', kind: 'text' },
    setting: { key: 'tlsClientAuthSanDns', toStored: orNull, fromStored: (c) => orUndefined(c.tlsClientAuthSanDns ?? null) },
  }),
  tls_client_auth_san_uri: field(Type.String({ minLength: 1, maxLength: 2048 }), {
    flag: { flag: '--tls-san-uri <uri>', help: 'tls_client_auth: a uniformResourceIdentifier subjectAltName (e.g. a SPIFFE id)', kind: 'text' },
    setting: { key: 'tlsClientAuthSanUri', toStored: orNull, fromStored: (c) => orUndefined(c.tlsClientAuthSanUri ?? null) },
  }),
  tls_client_auth_san_ip: field(Type.String({ minLength: 1, maxLength: 64 }), {
    flag: { flag: '--tls-san-ip <address>', help: 'tls_client_auth: an iPAddress subjectAltName (IPv4 or IPv6)', kind: 'text' },
    setting: { key: 'tlsClientAuthSanIp', toStored: orNull, fromStored: (c) => orUndefined(c.tlsClientAuthSanIp ?? null) },
  }),
  tls_client_auth_san_email: field(Type.String({ minLength: 1, maxLength: 320 }), {
    flag: { flag: '--tls-san-email <address>', help: 'tls_client_auth: an rfc822Name subjectAltName', kind: 'text' },
    setting: { key: 'tlsClientAuthSanEmail', toStored: orNull, fromStored: (c) => orUndefined(c.tlsClientAuthSanEmail ?? null) },
  }),
  tls_client_certificate_bound_access_tokens: field(Type.Boolean(), {
    flag: { flag: '--tls-bound-tokens', help: 'access tokens bound to the TLS client certificate, also for other auth methods (RFC 8705 §3.4)', kind: 'switch' },
    setting: { key: 'tlsClientCertificateBoundAccessTokens', toStored: (v) => v ?? false, fromStored: (c) => c.tlsClientCertificateBoundAccessTokens ?? false },
  }),
  dpop_bound_access_tokens: field(Type.Boolean(), {
    flag: { flag: '--dpop-bound', help: 'require a DPoP proof (RFC 9449) with every token request; bearer requests are refused', kind: 'switch' },
    setting: { key: 'dpopBoundAccessTokens', toStored: (v) => v ?? false, fromStored: (c) => c.dpopBoundAccessTokens ?? false },
  }),
  api_keys: field(Type.Array(Type.String()), {}),
};

/** A client as the import document (and the admin API) states it. */
export const ClientRecordSchema = recordSchema(CLIENT_FIELDS);
export type ClientInput = Static<typeof ClientRecordSchema>;

type WithSetting = ClientField & { setting: NonNullable<ClientField['setting']> };
const SETTINGS: Array<[keyof ClientInput, WithSetting]> = Object.entries(CLIENT_FIELDS as Record<string, ClientField>).filter((e): e is [keyof ClientInput, WithSetting] => e[1].setting !== undefined);

/** The stored settings of a client stated whole (absent fields take their defaults). */
export function clientSettings(input: Partial<ClientInput>, d: ClientDefaults): ClientSettings {
  const out: Record<string, unknown> = {};
  for (const [name, f] of SETTINGS) out[f.setting.key] = f.setting.toStored(input[name], d);
  return out as unknown as ClientSettings;
}

/** Only the settings the input names: a patch. */
export function clientSettingsPatch(input: Partial<ClientInput>, d: ClientDefaults): Partial<ClientSettings> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of SETTINGS) if (input[name] !== undefined) out[f.setting.key] = f.setting.toStored(input[name], d);
  return out as Partial<ClientSettings>;
}

/** The stored defaults of the named settings: what removing them from a client means. */
export function clientSettingsReset(names: readonly string[], d: ClientDefaults): Partial<ClientSettings> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of SETTINGS) if (names.includes(name)) out[f.setting.key] = f.setting.toStored(undefined, d);
  return out as Partial<ClientSettings>;
}

/** A stored client in input form (no secret: only its hash is stored). */
export function clientAsInput(c: Client): ClientInput {
  const out: Record<string, unknown> = { client_id: c.clientId };
  for (const [name, f] of SETTINGS) {
    const v = f.setting.fromStored(c);
    if (v !== undefined) out[name] = v;
  }
  return out as ClientInput;
}

/** What operators are shown of a client: its settings in input form, never the secret or its hash. */
export function describeClient(c: Client): Record<string, unknown> {
  const out: Record<string, unknown> = { client_id: c.clientId };
  for (const [name, f] of SETTINGS) if (f.shown !== false) out[name] = f.setting.fromStored(c);
  out.has_secret = c.secretHash !== null;
  const secrets = describeSecrets(c);
  if (secrets.length > 0) out.secrets = secrets;
  out.created_at = new Date(c.createdAt * 1000).toISOString();
  out.updated_at = new Date(c.updatedAt * 1000).toISOString();
  return out;
}
