import { startTestServer, type TestServer } from '../../support/server.js';
import { call, SECRET, type Answer } from '../admin/helpers.js';

/** The initial-access-token holders: registration needs scope tessera:register; the others must be refused. */
export const CLIENTS = [
  { client_id: 'registrar', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:register' },
  { client_id: 'registrar-opaque', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:register', access_token_format: 'opaque' },
  { client_id: 'admin', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin' },
  { client_id: 'plain', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write' },
];

export function startRegistrationServer(env: Record<string, string> = { TESSERA_REGISTRATION_ENABLED: 'true' }): Promise<TestServer> {
  return startTestServer({ doc: { clients: CLIENTS }, env });
}

/** POST /oauth/register with a bearer token (if any) and a JSON body (a string is sent as is). */
export function register(s: TestServer, token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return call(s.url, 'POST', '/oauth/register', { ...(token !== undefined ? { token } : {}), body, headers });
}

/** A request to a registration_client_uri (RFC 7592) with the registration access token. */
export function configure(uri: string, method: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const u = new URL(uri);
  return call(u.origin, method, u.pathname, { ...(token !== undefined ? { token } : {}), ...(body !== undefined ? { body } : {}) });
}

export { call, tokenOf } from '../admin/helpers.js';
