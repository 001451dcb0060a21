import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { expectErrorCharset } from '../support/error-body.js';
import { insertUncheckedClient } from '../support/unchecked.js';

/**
 * Every RFC 6749 §5.2 error the token endpoint can answer, over a real socket. Each test states the exact
 * status, error code and the headers that matter.
 */
const SECRET = 'errors-test-secret-1';
const ODD_ID = 'odd:id%with+plus and space';
const ODD_SECRET = 'se:cr%et+with spaces & =signs';
// Secrets a client that does not form-urlencode sends as they are: one that decodes to something else, one that does not decode.
const RAW_PLUS_SECRET = 'pl+us%41secret';
const RAW_PCT_SECRET = 'rate 100% sure';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write admin', default_scope: 'read' },
        { client_id: 'all', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'a b c' },
        { client_id: 'nogrant', client_secret: SECRET, grant_types: ['password'], scope: 'read' },
        { client_id: 'off', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', status: 'disabled' },
        { client_id: 'post', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: ODD_ID, client_secret: ODD_SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'raw-plus', client_secret: RAW_PLUS_SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'raw-pct', client_secret: RAW_PCT_SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
    },
  });
  // The import refuses a public client allowed client_credentials; the endpoint must refuse one stored anyway.
  await insertUncheckedClient(s.ctx.store, { client_id: 'public', token_endpoint_auth_method: 'none', grant_types: ['client_credentials'], scope: 'read' });
});
afterAll(async () => s.stop());

const cc = { grant_type: 'client_credentials' };
const auth = { authorization: basic('svc', SECRET) };

async function raw(path: string, init: RequestInit): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(s.url + path, init);
  const text = await res.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  expectErrorCharset(body, `${init.method ?? 'GET'} ${path}`);
  return { status: res.status, headers: res.headers, body };
}

function expectError(r: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, error: string): void {
  expect(r.status).toBe(status);
  expect(r.body.error).toBe(error);
  expect(typeof r.body.error_description).toBe('string');
  // RFC 6749 §5.2's character set, over every error this file sees.
  expectErrorCharset(r.body);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.headers.get('cache-control')).toBe('no-store');
}

describe('request shape errors -> 400 invalid_request', () => {
  it('missing grant_type', async () => {
    expectError(await s.post('/oauth/token', { scope: 'read' }, auth), 400, 'invalid_request');
  });

  it('a repeated parameter', async () => {
    const r = await s.post('/oauth/token', 'grant_type=client_credentials&scope=read&scope=write', auth);
    expectError(r, 400, 'invalid_request');
    expect(r.body.error_description).toMatch(/scope/);
  });

  it('a repeated grant_type, even with equal values', async () => {
    expectError(await s.post('/oauth/token', 'grant_type=client_credentials&grant_type=client_credentials', auth), 400, 'invalid_request');
  });

  it('a malformed body (bad percent-encoding)', async () => {
    expectError(await s.post('/oauth/token', 'grant_type=client_credentials&scope=%E0%A4%A', auth), 400, 'invalid_request');
    expectError(await s.post('/oauth/token', 'grant_type=%zz', auth), 400, 'invalid_request');
  });

  it('a parameter without a name', async () => {
    expectError(await s.post('/oauth/token', 'grant_type=client_credentials&=x', auth), 400, 'invalid_request');
  });

  for (const [label, headers, body] of [
    ['application/json', { 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}'],
    ['text/plain', { 'content-type': 'text/plain' }, 'grant_type=client_credentials'],
    ['multipart/form-data', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n'],
    ['an unparseable content type', { 'content-type': '///' }, 'grant_type=client_credentials'],
  ] as const) {
    it(`unsupported content type: ${label}`, async () => {
      expectError(await raw('/oauth/token', { method: 'POST', headers: { ...headers, ...auth }, body }), 400, 'invalid_request');
    });
  }

  it('no content type at all (with and without a body)', async () => {
    expectError(await raw('/oauth/token', { method: 'POST', headers: auth, body: new TextEncoder().encode('grant_type=client_credentials') }), 400, 'invalid_request');
    expectError(await raw('/oauth/token', { method: 'POST', headers: auth }), 400, 'invalid_request');
  });

  it('a body over 64 KiB -> 413 in the §5.2 shape', async () => {
    const big = 'grant_type=client_credentials&pad=' + 'a'.repeat(64 * 1024);
    expectError(await s.post('/oauth/token', big, auth), 413, 'invalid_request');
  });

  it('a chunked body (no Content-Length) over 64 KiB -> 413 as well', async () => {
    const chunk = new TextEncoder().encode('a'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth }, body, duplex: 'half' } as RequestInit;
    expectError(await raw('/oauth/token', init), 413, 'invalid_request');
  });

  it('a body of exactly 64 KiB is still read', async () => {
    const prefix = 'grant_type=client_credentials&pad=';
    const r = await s.post('/oauth/token', prefix + 'a'.repeat(64 * 1024 - prefix.length), auth);
    expect(r.status).toBe(200);
  });

  it('credentials in the URL query (RFC 6749 §2.3.1)', async () => {
    for (const q of ['client_secret=x', 'client_id=svc', 'grant_type=client_credentials&client_secret=' + SECRET, 'client%5Fsecret=x']) {
      expectError(await s.post(`/oauth/token?${q}`, cc, auth), 400, 'invalid_request');
    }
  });

  it('two client authentication methods (Basic + client_secret in the body)', async () => {
    expectError(await s.post('/oauth/token', { ...cc, client_id: 'svc', client_secret: SECRET }, auth), 400, 'invalid_request');
  });

  it('a Basic client id that differs from the body client_id', async () => {
    expectError(await s.post('/oauth/token', { ...cc, client_id: 'all' }, auth), 400, 'invalid_request');
  });

});

describe('grant dispatch', () => {
  it('an unknown grant -> 400 unsupported_grant_type', async () => {
    expectError(await s.post('/oauth/token', { grant_type: 'urn:example:nope' }, auth), 400, 'unsupported_grant_type');
  });

  it('a grant the client may not use -> 400 unauthorized_client', async () => {
    expectError(await s.post('/oauth/token', cc, { authorization: basic('nogrant', SECRET) }), 400, 'unauthorized_client');
  });

  it('a public client on client_credentials -> 400 unauthorized_client', async () => {
    expectError(await s.post('/oauth/token', { ...cc, client_id: 'public' }), 400, 'unauthorized_client');
  });
});

describe('client authentication -> 401 invalid_client', () => {
  // RFC 9110 §15.5.2: a 401 MUST carry WWW-Authenticate, whatever method (if any) the client tried.
  it('no client authentication at all: 401 with the Basic challenge', async () => {
    const r = await s.post('/oauth/token', cc);
    expectError(r, 401, 'invalid_client');
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
  });

  it('wrong secret via client_secret_post: 401 with the Basic challenge', async () => {
    const r = await s.post('/oauth/token', { ...cc, client_id: 'post', client_secret: 'wrong-secret' });
    expectError(r, 401, 'invalid_client');
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
  });

  it('a confidential client sending only its client_id: 401 with the Basic challenge', async () => {
    const r = await s.post('/oauth/token', { ...cc, client_id: 'svc' });
    expectError(r, 401, 'invalid_client');
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
  });

  it('unknown client and wrong secret give identical status, headers and body', async () => {
    const unknown = await s.post('/oauth/token', cc, { authorization: basic('no-such-client', SECRET) });
    const wrong = await s.post('/oauth/token', cc, { authorization: basic('svc', 'not-the-secret') });
    expectError(unknown, 401, 'invalid_client');
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.headers.get('www-authenticate')).toBe(wrong.headers.get('www-authenticate'));
    expect(unknown.headers.get('www-authenticate')).toMatch(/^Basic realm="tessera"/);
    const unknownPost = await s.post('/oauth/token', { ...cc, client_id: 'no-such-client', client_secret: SECRET });
    const wrongPost = await s.post('/oauth/token', { ...cc, client_id: 'post', client_secret: 'not-the-secret' });
    expect(unknownPost.status).toBe(401);
    expect(unknownPost.body).toEqual(wrongPost.body);
  });

  it('a disabled client with the right secret -> 401', async () => {
    const r = await s.post('/oauth/token', cc, { authorization: basic('off', SECRET) });
    expectError(r, 401, 'invalid_client');
    expect(r.body).toEqual((await s.post('/oauth/token', cc, { authorization: basic('svc', 'wrong') })).body);
  });

  // RFC 6749 §5.2: authentication attempted through the Authorization header that fails is 401 with the challenge.
  it('a malformed Basic header -> 401 with the Basic challenge, the credential never echoed', async () => {
    const malformed = [
      'Basic',
      'Basic ',
      'Basic !!!',
      'Basic !!!!',
      'Basic abc',
      'Basic ' + Buffer.from('svc').toString('base64'),
      'Basic ' + Buffer.from('no-colon').toString('base64'),
      'Basic ' + Buffer.from(':secret').toString('base64'),
      // Not form-urlencoded (RFC 6749 §2.3.1), so read as sent: an unknown client, a wrong secret.
      'Basic ' + Buffer.from('%zz:secret').toString('base64'),
      'Basic ' + Buffer.from('svc:100%real-secret').toString('base64'),
    ];
    for (const h of malformed) {
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
        const r = await s.post(path, { ...cc, token: 'x' }, { authorization: h });
        expectError(r, 401, 'invalid_client');
        expect(r.headers.get('www-authenticate'), `${path} ${h}`).toBe('Basic realm="tessera", charset="UTF-8"');
        expect(JSON.stringify(r.body)).not.toContain('real-secret');
        const credential = h.slice(6).trim();
        if (credential !== '') expect(JSON.stringify(r.body)).not.toContain(credential);
      }
    }
  });

  it('an empty secret -> 401', async () => {
    expectError(await s.post('/oauth/token', cc, { authorization: basic('svc', '') }), 401, 'invalid_client');
  });

  it('a non-Basic Authorization scheme alone is no client authentication', async () => {
    const r = await s.post('/oauth/token', cc, { authorization: 'Bearer abc' });
    expectError(r, 401, 'invalid_client');
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="tessera", charset="UTF-8"');
  });
});

describe('client authentication that succeeds', () => {
  it('Basic with ":" "%" "+" and spaces in id and secret, form-urlencoded per RFC 6749 §2.3.1', async () => {
    const r = await s.post('/oauth/token', cc, { authorization: basic(ODD_ID, ODD_SECRET) });
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('read');
    // %20 for a space is valid form-urlencoding too.
    const pct = 'Basic ' + Buffer.from(`${encodeURIComponent(ODD_ID)}:${encodeURIComponent(ODD_SECRET)}`).toString('base64');
    expect((await s.post('/oauth/token', cc, { authorization: pct })).status).toBe(200);
  });

  // RFC 6749 §2.3.1 asks clients to form-urlencode; curl -u, Python requests and simple-oauth2 'loose' do not.
  it('Basic with a secret sent without form-urlencoding ("+", "%") is accepted, encoded or not', async () => {
    const asSent = (id: string, secret: string) => 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');
    for (const [id, secret] of [['raw-plus', RAW_PLUS_SECRET], ['raw-pct', RAW_PCT_SECRET]] as const) {
      for (const authorization of [asSent(id, secret), basic(id, secret), asSent(id, secret)]) {
        const r = await s.post('/oauth/token', cc, { authorization });
        expect(r.status, `${id} ${authorization}`).toBe(200);
      }
    }
    // The decoded reading of the raw-plus secret is not its secret.
    expectError(await s.post('/oauth/token', cc, { authorization: basic('raw-plus', 'pl us' + 'Asecret') }), 401, 'invalid_client');
    expectError(await s.post('/oauth/token', cc, { authorization: asSent('raw-plus', 'pl+us%41secreT') }), 401, 'invalid_client');
  });

  it('client_secret_post with the same odd id and secret', async () => {
    const r = await s.post('/oauth/token', { ...cc, client_id: ODD_ID, client_secret: ODD_SECRET });
    expect(r.status).toBe(200);
  });

  it('a body client_id equal to the Basic id is accepted', async () => {
    expect((await s.post('/oauth/token', { ...cc, client_id: 'svc' }, auth)).status).toBe(200);
  });

  it('the scheme name is case-insensitive', async () => {
    expect((await s.post('/oauth/token', cc, { authorization: basic('svc', SECRET).replace('Basic', 'bAsIc') })).status).toBe(200);
  });
});

describe('scope', () => {
  it('a scope outside the allowed set -> 400 invalid_scope', async () => {
    expectError(await s.post('/oauth/token', { ...cc, scope: 'read delete' }, auth), 400, 'invalid_scope');
  });

  it('scopes are case-sensitive', async () => {
    expectError(await s.post('/oauth/token', { ...cc, scope: 'READ' }, auth), 400, 'invalid_scope');
  });

  for (const bad of ['read  write', ' read', 'read ', 'read\twrite', 're"ad', 're\\ad', 'é']) {
    it(`a malformed scope string ${JSON.stringify(bad)} -> 400 invalid_scope`, async () => {
      expectError(await s.post('/oauth/token', { ...cc, scope: bad }, auth), 400, 'invalid_scope');
    });
  }

  it('no scope -> the default scope', async () => {
    expect((await s.post('/oauth/token', cc, auth)).body.scope).toBe('read');
  });

  it('no scope and no default scope -> all allowed scopes', async () => {
    expect((await s.post('/oauth/token', cc, { authorization: basic('all', SECRET) })).body.scope).toBe('a b c');
  });

  it('an empty scope parameter counts as omitted (RFC 6749 §3.1)', async () => {
    expect((await s.post('/oauth/token', 'grant_type=client_credentials&scope=', auth)).body.scope).toBe('read');
  });

  it('a subset is granted as asked; repeats collapse', async () => {
    expect((await s.post('/oauth/token', { ...cc, scope: 'admin write' }, auth)).body.scope).toBe('admin write');
    expect((await s.post('/oauth/token', { ...cc, scope: 'write write' }, auth)).body.scope).toBe('write');
  });
});

describe('methods other than POST', () => {
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    it(`${method} /oauth/token -> 405 with Allow: POST`, async () => {
      const res = await fetch(s.url + '/oauth/token', { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(((await res.json()) as { error: string }).error).toBe('method_not_allowed');
    });
  }

  it('HEAD /oauth/token -> 405 with Allow: POST', async () => {
    const res = await fetch(s.url + '/oauth/token', { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('unknown paths', () => {
  it('answer 404 in the §5.2 shape', async () => {
    const r = await raw('/nope', { method: 'GET' });
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('not_found');
  });
});
