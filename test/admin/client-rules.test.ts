import { describe, expect, it } from 'vitest';
import { clientProblems, isSecretMethod, supportedGrantTypes } from '../../src/admin/client-rules.js';
import { startTestServer } from '../support/server.js';
import { formatProblem } from '../../src/admin/problems.js';

const none = { exists: false, providers: new Set<string>() };
const base = { client_id: 'c', client_secret: 'long-enough-1', grant_types: ['client_credentials'], scope: 'read' };
const problems = (item: Record<string, unknown>, facts = none) => clientProblems(item, '', facts).map(formatProblem);

describe('supportedGrantTypes', () => {
  it('names exactly the grant types a server registers (core and federation)', async () => {
    const s = await startTestServer();
    try {
      expect([...supportedGrantTypes()].sort()).toEqual([...s.ctx.grants.grantTypes].sort());
    } finally {
      await s.stop();
    }
  });
});

describe('clientProblems', () => {
  it('a valid client has none', () => {
    expect(problems(base)).toEqual([]);
    expect(problems({ client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: '' })).toEqual([]);
    expect(problems({ client_id: 'pk', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://127.0.0.1:9999/jwks', grant_types: ['client_credentials'], scope: '' })).toEqual([]);
  });

  it('allowed_origins: exact http(s) origins as a browser sends them', () => {
    expect(problems({ ...base, allowed_origins: ['https://app.example', 'http://localhost:3000', 'https://app.example:8443'] })).toEqual([]);
    expect(problems({ ...base, allowed_origins: ['https://app.example/', 'https://App.example', 'https://app.example:443', 'https://app.example/path', 'ftp://x.example', '*', 'null'] })).toEqual([
      expect.stringMatching(/^allowed_origins\[0\]: must be exactly the origin a browser sends \(https:\/\/app\.example\)/),
      expect.stringMatching(/^allowed_origins\[1\]: must be exactly the origin/),
      expect.stringMatching(/^allowed_origins\[2\]: must be exactly the origin/),
      expect.stringMatching(/^allowed_origins\[3\]: must be exactly the origin/),
      'allowed_origins[4]: must be an http or https origin',
      'allowed_origins[5]: must be an origin such as https://app.example',
      'allowed_origins[6]: must be an origin such as https://app.example',
    ]);
  });

  it('delegation: two non-empty lists, and only with the token exchange grant', () => {
    const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
    expect(problems({ ...base, grant_types: [TE], delegation: { actors: ['svc'], may_act_for: ['*'] } })).toEqual([]);
    expect(problems({ ...base, delegation: { actors: ['svc'], may_act_for: ['*'] } })).toEqual([`delegation: needs the grant type ${TE}`]);
    expect(problems({ ...base, grant_types: [TE], delegation: { actors: [], may_act_for: ['*'] } })).toHaveLength(1);
    expect(problems({ ...base, grant_types: [TE], delegation: { actors: ['a'] } })).toHaveLength(1);
    expect(problems({ ...base, grant_types: [TE], delegation: { actors: ['a'], may_act_for: ['b'], extra: 1 } })).toHaveLength(1);
  });

  it('grant types: registered ones, or the name of an identity provider', () => {
    expect(problems({ ...base, grant_types: ['client_credential'] })).toEqual([expect.stringMatching(/^grant_types: "client_credential" is neither a grant type of this server/)]);
    expect(problems({ ...base, grant_types: ['facebook'] })).toHaveLength(1);
    expect(problems({ ...base, grant_types: ['facebook'] }, { exists: false, providers: new Set(['facebook']) })).toEqual([]);
  });

  it('grants for confidential clients only are refused to a public client (RFC 6749 §2.1, §4.4)', () => {
    expect(problems({ client_id: 'p', token_endpoint_auth_method: 'none', grant_types: ['client_credentials', 'org_implicit', 'refresh_token'], scope: '' })).toEqual([
      'grant_types: "client_credentials" is for confidential clients only, and token_endpoint_auth_method "none" makes this a public client',
      'grant_types: "org_implicit" is for confidential clients only, and token_endpoint_auth_method "none" makes this a public client',
    ]);
  });

  it('secrets: required to create a secret-method client, kept by an existing one, refused for a public one, at least 8 characters', () => {
    const { client_secret: _s, ...noSecret } = base;
    expect(problems(noSecret)).toEqual(['client_secret: is required to create a client with token_endpoint_auth_method "client_secret_basic"']);
    expect(problems(noSecret, { exists: true, providers: new Set() })).toEqual([]);
    expect(problems({ ...base, client_secret: 'short' })).toEqual(['client_secret: must be at least 8 characters']);
    expect(problems({ ...base, token_endpoint_auth_method: 'none', grant_types: ['refresh_token'] })).toEqual(['client_secret: a public client (token_endpoint_auth_method "none") has no secret']);
    expect(problems({ ...noSecret, client_secret_hash: 'plain' })).toEqual(['client_secret_hash: must be an argon2 PHC string']);
  });

  it('keys: private_key_jwt needs jwks or an https jwks_uri; API keys must parse', () => {
    const pk = { client_id: 'pk', token_endpoint_auth_method: 'private_key_jwt', grant_types: ['client_credentials'], scope: '' };
    expect(problems(pk)).toEqual(['jwks: private_key_jwt needs jwks or jwks_uri']);
    expect(problems({ ...pk, jwks_uri: 'http://keys.example.com/jwks' })).toEqual(['jwks_uri: must be an https URL (http only for loopback hosts)']);
    expect(problems({ ...base, api_keys: ['00'] })).toEqual(['api_keys[0]: not an Ed25519 (64 hex) or compressed secp256k1 (66 hex) public key']);
  });

  it('ids and scopes', () => {
    expect(problems({ ...base, client_id: ' padded' })).toEqual(['client_id: must be 1-255 printable ASCII characters (inner spaces allowed)']);
    expect(problems({ ...base, default_scope: 'write' })).toEqual(['default_scope: "write" is not in scope']);
    expect(problems({ ...base, scope: 're"ad' })).toEqual(['scope: "re"ad" is not a valid scope token (RFC 6749 §3.3)']);
  });

  it('isSecretMethod', () => {
    expect(['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].every((m) => isSecretMethod(m as never))).toBe(true);
    expect(['none', 'private_key_jwt', 'request_signature'].some((m) => isSecretMethod(m as never))).toBe(false);
  });

  it('allowed_resources: each entry one token without whitespace or a fragment', () => {
    expect(problems({ ...base, allowed_resources: ['https://api.example.com/', 'payments'] })).toEqual([]);
    expect(problems({ ...base, allowed_resources: ['https://a.example/#x', 'two words'] })).toEqual([
      'allowed_resources[0]: must not contain whitespace or a fragment (#)',
      'allowed_resources[1]: must not contain whitespace or a fragment (#)',
    ]);
    expect(problems({ ...base, allowed_resources: [''] })).toHaveLength(1);
  });

  it('metadata: a JSON object within the size, depth and key bounds', () => {
    expect(problems({ ...base, metadata: { plan: 'gold', limits: { seats: 5 } } })).toEqual([]);
    expect(problems({ ...base, metadata: 'gold' })).toEqual([expect.stringMatching(/^metadata: /)]);
    expect(problems({ ...base, metadata: { a: { b: { c: { d: { e: 1 } } } } } })).toEqual(['metadata: must be nested at most 4 levels deep']);
    expect(problems({ ...base, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) })).toEqual(['metadata: must have at most 64 keys in all (has 65)']);
    expect(problems({ ...base, metadata: { big: 'x'.repeat(5000) } })).toEqual([expect.stringMatching(/^metadata: must be at most 4096 bytes as JSON/)]);
  });

  it('claims: reserved claims refused by name, references checked, literals kept', () => {
    expect(problems({ ...base, claims: { plan: '{{client.metadata.plan}}', tenant: 'org-{{org.id}}', n: 3, tags: ['a'] } })).toEqual([]);
    expect(problems({ ...base, claims: { sub: 'x', aud: 'y', sid: 'z' } })).toEqual([
      'claims.sub: is a reserved claim Tessera sets itself and cannot be overridden',
      'claims.aud: is a reserved claim Tessera sets itself and cannot be overridden',
      'claims.sid: is a reserved claim Tessera sets itself and cannot be overridden',
    ]);
    expect(problems({ ...base, claims: { x: '{{user.password}}' } })).toEqual([expect.stringMatching(/^claims\.x: "\{\{user\.password\}\}" is not a known reference/)]);
    expect(problems({ ...base, claims: { x: '{{client.metadata.}}' } })).toEqual(['claims.x: "{{client.metadata.}}" has a malformed metadata path']);
    expect(problems({ ...base, claims: { x: 'open {{client.id' } })).toEqual(['claims.x: has an unclosed or malformed {{reference}}']);
  });
});
