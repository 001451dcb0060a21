import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/**
 * /openapi.json as Swagger UI (/docs) reads it: client authentication declared (an Authorize button), and
 * request examples that work as they stand instead of fields prefilled with "string".
 */
const SECRET = 'openapi-test-secret';
const doc = {
  clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials', 'password', 'refresh_token'], scope: 'read' }],
};

interface Operation {
  security?: Array<Record<string, string[]>>;
  requestBody?: { content: Record<string, { schema: { properties: Record<string, { examples?: unknown[]; example?: unknown }> }; examples?: Record<string, { summary: string; value: Record<string, string> }> }> };
}
interface Api {
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, Operation>>;
}

const FORM = 'application/x-www-form-urlencoded';

describe('/openapi.json', () => {
  let s: TestServer;
  let api: Api;
  beforeAll(async () => {
    s = await startTestServer({ doc });
    api = (await (await fetch(s.url + '/openapi.json')).json()) as Api;
  });
  afterAll(async () => s.stop());

  it('declares HTTP Basic client authentication (and keeps the admin API bearer scheme)', () => {
    expect(api.components.securitySchemes.client_secret_basic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(api.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('the token, introspection and revocation endpoints accept Basic, or credentials in the body', () => {
    for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
      expect([path, api.paths[path]!.post!.security]).toEqual([path, [{ client_secret_basic: [] }, {}]]);
    }
  });

  it('offers one example per grant, each naming a grant this server supports', async () => {
    const media = api.paths['/oauth/token']!.post!.requestBody!.content[FORM]!;
    const examples = media.examples!;
    expect(Object.keys(examples)).toEqual(['client_credentials', 'password', 'refresh_token', 'token_exchange', 'org_implicit', 'jwt_bearer']);
    const metadata = (await (await fetch(s.url + '/.well-known/oauth-authorization-server')).json()) as { grant_types_supported: string[] };
    for (const [name, ex] of Object.entries(examples)) {
      expect(ex.summary).not.toBe('');
      expect([name, metadata.grant_types_supported]).toEqual([name, expect.arrayContaining([ex.value.grant_type])]);
    }
  });

  it('no field is prefilled with "string": grant_type and scope carry real examples', () => {
    const props = api.paths['/oauth/token']!.post!.requestBody!.content[FORM]!.schema.properties;
    expect(props.grant_type!.examples ?? [props.grant_type!.example]).toEqual(['client_credentials']);
    expect(props.scope!.examples ?? [props.scope!.example]).toEqual(['read']);
    expect(JSON.stringify(api)).not.toMatch(/"examples?":\s*\[?"string"/);
  });

  it('the first (default) example, sent with the Authorize credentials, gets a token', async () => {
    const ex = Object.values(api.paths['/oauth/token']!.post!.requestBody!.content[FORM]!.examples!)[0]!;
    const res = await s.post('/oauth/token', ex.value, { authorization: basic('svc', SECRET) });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
  });
});
