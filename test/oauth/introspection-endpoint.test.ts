import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleIntrospection } from '../../src/oauth/introspection-endpoint.js';
import { OAuthError } from '../../src/oauth/errors.js';
import type { TokenRequest } from '../../src/oauth/token-request.js';
import type { Client } from '../../src/store/types.js';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/** The introspection endpoint's rules, in the core (RFC 7662 §2): the HTTP route only adds limits and headers. */
const SECRET = 'introspection-endpoint-secret';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'public', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read' },
      ],
    },
  });
});
afterAll(async () => s?.stop());

function request(params: Record<string, string>, authorization?: string): TokenRequest {
  return { params: new Map(Object.entries(params)), authorization, headers: authorization ? { authorization } : {}, method: 'POST', path: '/oauth/introspect', rawQuery: '', rawBody: '', ip: '127.0.0.1', requestId: 'test' };
}

const noLimit = () => undefined;

async function refusal(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    if (err instanceof OAuthError) return err.code;
    throw err;
  }
  return 'none';
}

describe('handleIntrospection', () => {
  it('refuses a public client (client_id alone): introspection needs credentials (RFC 7662 §2.1)', async () => {
    let admitted = false;
    expect(await refusal(() => handleIntrospection(request({ client_id: 'public', token: 'x' }), s.ctx, () => ((admitted = true), undefined), null))).toBe('invalid_client');
    expect(admitted).toBe(false);
  });

  it('admits the caller through the adapter before answering, with the state it was given', async () => {
    const seen: Array<[string, unknown]> = [];
    const state = { reply: 'r' };
    const gate = (client: Client, st: typeof state) => {
      seen.push([client.clientId, st]);
      return undefined;
    };
    expect(await handleIntrospection(request({ token: 'x' }, basic('rs', SECRET)), s.ctx, gate, state)).toBe('{"active":false}');
    expect(seen).toEqual([['rs', state]]);
    // A refusal of the adapter's (a rate limit) ends the request before any token is looked at.
    const limited = handleIntrospection(request({}, basic('rs', SECRET)), s.ctx, () => Promise.reject(OAuthError.tooManyRequests(1)), null);
    expect(await refusal(() => limited)).toBe('too_many_requests');
  });

  it('requires the token parameter', async () => {
    expect(await refusal(() => handleIntrospection(request({}, basic('rs', SECRET)), s.ctx, noLimit, null))).toBe('invalid_request');
  });

  it("answers a cached JWT of a cached caller without a promise (the resource servers' steady state)", async () => {
    const rs = (await s.ctx.clients.get('rs', (id) => s.ctx.store.clients.get(id)))!;
    const { token } = await s.ctx.issuer.issue({ client: rs, subject: 'rs', scope: ['read'] });
    const req = request({ token }, basic('rs', SECRET));
    const first = await handleIntrospection(req, s.ctx, noLimit, null);
    expect(JSON.parse(first)).toMatchObject({ active: true, client_id: 'rs' });
    expect(handleIntrospection(req, s.ctx, noLimit, null)).toBe(first);
  });
});
