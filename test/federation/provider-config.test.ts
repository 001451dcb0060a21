import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { peekJwt } from '../../src/oauth/jwt/verify.js';
import { describeProvider, sealProviderSecrets, secretAad, validateProviderInput } from '../../src/federation/provider-config.js';
import { validateImportDocument } from '../../src/admin/import-document.js';
import { formatProblem } from '../../src/admin/problems.js';
import { unseal } from '../../src/keys/seal.js';

const google = { name: 'google', type: 'oidc', issuer: 'https://accounts.google.com', jwks_uri: 'https://www.googleapis.com/oauth2/v3/certs', audiences: ['x.apps.googleusercontent.com'] };
const facebook = { name: 'facebook', type: 'introspection', format: 'facebook', endpoint: 'https://graph.facebook.com/debug_token', app_id: '123', app_token: '123|secret' };

describe('validateProviderInput', () => {
  it('accepts the documented examples', () => {
    expect(validateProviderInput(google)).toEqual([]);
    expect(validateProviderInput(facebook)).toEqual([]);
    expect(validateProviderInput({ name: 'rfc', type: 'introspection', endpoint: 'https://idp.example/introspect', client_id: 'me', client_secret: 's' })).toEqual([]);
    expect(validateProviderInput({ name: 'partner', type: 'jwt_bearer', issuer: 'https://partner.example', jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc' }] } })).toEqual([]);
  });

  it('reports problems with JSON paths', () => {
    expect(validateProviderInput({ ...google, audiences: [] }, '$.identity_providers[0]')).toEqual([expect.stringMatching(/^\$\.identity_providers\[0\]\.audiences: /)]);
    expect(validateProviderInput({ ...google, algorithms: ['HS256'] }, '$.p')).toEqual(expect.arrayContaining([expect.stringMatching(/^\$\.p\.algorithms\[0\]/)]));
    expect(validateProviderInput({ ...google, algorithms: ['none'] }, '$.p').length).toBeGreaterThan(0);
    expect(validateProviderInput({ ...google, surprise: 1 }, '$.p')).toEqual(expect.arrayContaining([expect.stringMatching(/surprise/)]));
    expect(validateProviderInput({ ...google, type: 'saml' }, '$.p')).toEqual(['$.p.type: must be one of oidc, introspection, jwt_bearer']);
  });

  it('requires https except for loopback hosts or allow_insecure_http', () => {
    expect(validateProviderInput({ ...google, jwks_uri: 'http://www.googleapis.com/oauth2/v3/certs' }, '$.p')).toEqual([expect.stringMatching(/^\$\.p\.jwks_uri: must be an https URL/)]);
    expect(validateProviderInput({ ...google, jwks_uri: 'http://127.0.0.1:9000/jwks' })).toEqual([]);
    expect(validateProviderInput({ ...google, jwks_uri: 'http://idp.internal/jwks', allow_insecure_http: true })).toEqual([]);
  });

  it('requires exactly one key source and public keys only', () => {
    expect(validateProviderInput({ ...google, jwks: { keys: [{ kty: 'EC' }] } }, '$.p')).toEqual(['$.p: give exactly one of jwks_uri or jwks']);
    const { jwks_uri: _drop, ...noKeys } = google;
    expect(validateProviderInput(noKeys, '$.p')).toEqual(['$.p: give exactly one of jwks_uri or jwks']);
    expect(validateProviderInput({ ...noKeys, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, '$.p')).toEqual(['$.p.jwks.keys[0]: must be a public key (has k)']);
  });

  it('checks the introspection format fields', () => {
    expect(validateProviderInput({ ...facebook, app_id: undefined }, '$.p')).toEqual([expect.stringMatching(/^\$\.p\.app_id: required/)]);
    expect(validateProviderInput({ name: 'rfc', type: 'introspection', endpoint: 'https://idp.example/i' }, '$.p')).toEqual([
      expect.stringMatching(/^\$\.p\.client_id: required/),
      expect.stringMatching(/^\$\.p\.client_secret: required/),
    ]);
  });

  it('refuses names that are grant types', () => {
    expect(validateProviderInput({ ...google, name: 'password' }, '$.p')).toEqual([expect.stringMatching(/reserved/)]);
  });

  it('is wired into the import document', () => {
    const problems = validateImportDocument({ identity_providers: [google, { ...facebook, endpoint: 'http://graph.facebook.com/debug_token' }] }).map(formatProblem);
    expect(problems).toEqual([expect.stringMatching(/^\$\.identity_providers\[1\]\.endpoint: must be an https URL/)]);
  });
});

describe('sealProviderSecrets / describeProvider', () => {
  it('seals secrets under the master key and never shows them', () => {
    const key = randomBytes(32);
    const { name, type: _t, ...config } = facebook;
    const sealed = sealProviderSecrets(name, config, key);
    expect(sealed.app_token).toBeUndefined();
    expect(JSON.stringify(sealed)).not.toContain('secret');
    expect(unseal(key, sealed.app_token_sealed as string, secretAad('facebook', 'app_token')).toString()).toBe('123|secret');
    expect(validateProviderInput({ ...sealed, name, type: 'introspection' })).toEqual([]);
    const shown = describeProvider({ name, type: 'introspection', config: sealed, createdAt: 0, updatedAt: 0, version: 1 });
    expect(shown.app_token).toBe('(sealed)');
    expect(JSON.stringify(shown)).not.toContain(sealed.app_token_sealed as string);
  });
});

describe('robustness', () => {
  it('validateProviderInput never throws and always explains a non-provider', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('name', 'type', 'issuer', 'jwks', 'jwks_uri', 'audiences', 'endpoint', 'format', 'app_id', 'x'), fc.anything()), (item) => {
        const problems = validateProviderInput(item, '$');
        expect(Array.isArray(problems)).toBe(true);
        if (!['oidc', 'introspection', 'jwt_bearer'].includes(item.type as string)) expect(problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('peekJwt never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        peekJwt(`${a}.${b}.${c}`);
        peekJwt(`${Buffer.from(a).toString('base64url')}.${Buffer.from(b).toString('base64url')}.${c}`);
      }),
      { numRuns: 500 },
    );
  });
});
