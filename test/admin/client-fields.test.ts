import { describe, expect, it } from 'vitest';
import { CLIENT_FIELDS, ClientRecordSchema, clientAsInput, clientSettings, clientSettingsPatch, describeClient } from '../../src/admin/client-fields.js';
import type { Client } from '../../src/store/types.js';

const d = { accessTokenTtl: 900 };

function stored(over: Partial<Client> = {}): Client {
  return { clientId: 'svc', secretHash: '$argon2id$...', secretEncrypted: null, secretExpiresAt: null, secretLastUsedAt: null, previousSecretHash: null, previousSecretEncrypted: null, previousSecretExpiresAt: null, previousSecretLastUsedAt: null, ...clientSettings({ grant_types: ['client_credentials'], scope: 'read' }, d), createdAt: 1, updatedAt: 2, version: 1, ...over };
}

describe('the client field table', () => {
  it('every field is in the import schema, and every flag names a field of it', () => {
    expect(Object.keys(ClientRecordSchema.properties)).toEqual(Object.keys(CLIENT_FIELDS));
    expect(ClientRecordSchema.required?.sort()).toEqual(['client_id', 'grant_types', 'scope']);
    for (const f of Object.values(CLIENT_FIELDS) as Array<{ flag?: { flag: string } }>) if (f.flag) expect(f.flag.flag).toMatch(/^--[a-z-]+( <[^>]+>)?$/);
  });

  it('clientSettings: a client stated whole, absent fields at their defaults (the lifetime from the server)', () => {
    expect(clientSettings({ grant_types: ['client_credentials'], scope: 'read  read write' }, d)).toEqual({
      name: null, status: 'active', tokenEndpointAuthMethod: 'client_secret_basic', grantTypes: ['client_credentials'], scope: ['read', 'write'], defaultScope: null, audience: null,
      accessTokenTtl: 900, accessTokenFormat: 'jwt', refreshTokenTtl: null, refreshIdleTtl: null, refreshReuseInterval: 0, introspectAny: false, rateLimit: null, allowedResources: null, metadata: null, claims: null, tokenHook: null, jwks: null, jwksUri: null,
      delegation: null, allowedOrigins: null,
      tlsClientAuthSubjectDn: null, tlsClientAuthSanDns: null, tlsClientAuthSanUri: null, tlsClientAuthSanIp: null, tlsClientAuthSanEmail: null, tlsClientCertificateBoundAccessTokens: false, dpopBoundAccessTokens: false,
    });
  });

  it('clientSettingsPatch: only what the input names', () => {
    expect(clientSettingsPatch({ scope: 'a b', default_scope: '', introspect_any: true }, d)).toEqual({ scope: ['a', 'b'], defaultScope: [], introspectAny: true });
  });

  it('clientAsInput is the inverse of clientSettings (no secret: only its hash is stored)', () => {
    const input = { client_id: 'svc', name: 'Svc', grant_types: ['password'], scope: 'a b', default_scope: 'a', audience: ['x'], access_token_ttl: 60, rate_limit: { points: 1, duration: 2 }, jwks: { keys: [] }, jwks_uri: 'https://k', status: 'disabled' as const, delegation: { actors: ['a'], may_act_for: ['*'] }, allowed_origins: ['https://app.example'], tls_client_certificate_bound_access_tokens: true };
    const c = stored(clientSettings(input, d));
    expect(clientSettings(clientAsInput(c), d)).toEqual(clientSettings(input, d));
    expect(clientAsInput(c)).not.toHaveProperty('client_secret');
  });

  it('describeClient: the settings in input form, never the secret or its hash, inline keys not shown', () => {
    const shown = describeClient(stored({ jwks: { keys: [{ kty: 'OKP' }] } }));
    expect(Object.keys(shown)).toEqual([
      'client_id', 'name', 'status', 'token_endpoint_auth_method', 'grant_types', 'scope', 'default_scope', 'audience', 'access_token_ttl', 'access_token_format',
      'refresh_token_ttl', 'refresh_idle_ttl', 'refresh_reuse_interval', 'introspect_any', 'rate_limit', 'allowed_resources', 'metadata', 'claims', 'token_hook', 'jwks_uri', 'delegation', 'allowed_origins', 
      'tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email', 'tls_client_certificate_bound_access_tokens', 'dpop_bound_access_tokens', 'has_secret', 'secrets', 'created_at', 'updated_at',
    ]);
    expect(shown).toMatchObject({ client_id: 'svc', scope: 'read', has_secret: true, created_at: '1970-01-01T00:00:01.000Z' });
    expect(JSON.stringify(shown)).not.toContain('argon2');
  });
});
