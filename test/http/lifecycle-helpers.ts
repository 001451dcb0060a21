import { basic, type TestServer } from '../support/server.js';

export const SECRET = 'confidential-secret-123';
export const PASSWORD = 'correct horse battery';

/** Clients of the revocation / introspection matrices: one per token format, a stranger, a resource server, a public app. */
export const LIFECYCLE_CLIENTS = [
  { client_id: 'jwt-app', client_secret: SECRET, grant_types: ['client_credentials', 'password', 'refresh_token'], scope: 'read write' },
  { client_id: 'opaque-app', client_secret: SECRET, grant_types: ['client_credentials', 'password', 'refresh_token'], scope: 'read write', access_token_format: 'opaque' },
  { client_id: 'stranger', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
  { client_id: 'resource-server', client_secret: SECRET, grant_types: ['client_credentials'], scope: '', introspect_any: true },
  { client_id: 'public-app', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write' },
];

export function auth(client: string): Record<string, string> {
  return { authorization: basic(client, SECRET) };
}

export async function passwordTokens(s: TestServer, client: string, username = 'ada'): Promise<{ access: string; refresh: string }> {
  const headers = client === 'public-app' ? {} : auth(client);
  const form: Record<string, string> = { grant_type: 'password', username, password: PASSWORD, ...(client === 'public-app' ? { client_id: client } : {}) };
  const r = await s.post('/oauth/token', form, headers);
  if (r.status !== 200) throw new Error(`password grant failed: ${JSON.stringify(r.body)}`);
  return { access: r.body.access_token as string, refresh: r.body.refresh_token as string };
}

export async function introspect(s: TestServer, token: string, caller = 'jwt-app', extra: Record<string, string> = {}) {
  return s.post('/oauth/introspect', { token, ...extra }, auth(caller));
}

export async function revoke(s: TestServer, token: string, caller = 'jwt-app', extra: Record<string, string> = {}) {
  return s.post('/oauth/revoke', { token, ...extra }, auth(caller));
}
