import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { nowSeconds, startPeer, type Peer } from '../support/peer.js';

const SECRET = 'introspection-client-secret';
const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';

let s: TestServer;
let peer: Peer;
let logs = '';
/** RFC 7662 answers by token. */
const answers = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  peer = await startPeer({
    '/introspect': (req) => {
      if (req.headers.authorization !== basic('tessera', 'their-secret')) return { status: 401, body: { error: 'invalid_client' } };
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return { status: 400, body: { error: 'invalid_request' } };
      const form = new URLSearchParams(req.body);
      if (form.get('token_type_hint') !== 'access_token') return { status: 400, body: { error: 'invalid_request' } };
      return { body: answers.get(form.get('token') ?? '') ?? { active: false } };
    },
    '/hang': () => ({ hang: true }),
  });
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => (logs += c.toString()));
  const rfc = { type: 'introspection', endpoint: `${peer.url}/introspect`, client_id: 'tessera', client_secret: 'their-secret', auto_provision: true };
  s = await startTestServer({
    logStream: stream,
    doc: {
      clients: [{ client_id: 'app', client_secret: SECRET, grant_types: [TE, 'corp', 'strict', 'wrong-creds', 'slow-fb'], scope: 'read' }],
      identity_providers: [
        { name: 'corp', ...rfc },
        { name: 'strict', ...rfc, audiences: ['https://api.corp.example'], accepted_client_ids: ['portal'] },
        { name: 'wrong-creds', ...rfc, client_secret: 'not-their-secret' },
        { name: 'slow-fb', type: 'introspection', format: 'facebook', endpoint: `${peer.url}/hang`, app_id: '42', app_token: '42|hidden-app-secret', timeout_ms: 300 },
      ],
    },
  });
}, 30_000);

afterAll(async () => {
  await s?.stop();
  await peer?.close();
});

function alias(provider: string, token: string) {
  return s.post('/oauth/token', { grant_type: provider, token }, { authorization: basic('app', SECRET) });
}

describe('RFC 7662 introspection provider', () => {
  it('accepts an active token and maps sub; the exchange works through RFC 8693 too', async () => {
    answers.set('t-ok', { active: true, sub: 'corp-1', exp: nowSeconds() + 600 });
    expect((await alias('corp', 't-ok')).status).toBe(200);
    // Several introspection providers apply to this client: RFC 8693 cannot choose, the alias can.
    const te = await s.post('/oauth/token', { grant_type: TE, subject_token: 't-ok', subject_token_type: AT }, { authorization: basic('app', SECRET) });
    expect(te.body.error).toBe('invalid_request');
    expect(te.body.error_description).toMatch(/grant_type=<provider name>/);
  });

  it.each([
    ['inactive', { active: false, sub: 'x' }, /not active/],
    ['"active": "true" (a string)', { active: 'true', sub: 'x' }, /not active/],
    ['expired', { active: true, sub: 'x', exp: nowSeconds() - 3600 }, /expired/],
    ['not yet valid', { active: true, sub: 'x', nbf: nowSeconds() + 3600 }, /nbf/],
    ['without sub', { active: true, client_id: 'portal' }, /sub/],
  ])('rejects a token that is %s', async (_what, answer, description) => {
    answers.set('t-bad', answer);
    const r = await alias('corp', 't-bad');
    expect(r.body.error).toBe('invalid_grant');
    expect(r.body.error_description).toMatch(description);
  });

  it('checks aud and client_id when configured', async () => {
    answers.set('t-portal', { active: true, sub: 'p-1', aud: ['https://api.corp.example'], client_id: 'portal' });
    answers.set('t-other-aud', { active: true, sub: 'p-1', aud: 'https://other.example', client_id: 'portal' });
    answers.set('t-other-client', { active: true, sub: 'p-1', aud: 'https://api.corp.example', client_id: 'intruder' });
    expect((await alias('strict', 't-portal')).status).toBe(200);
    expect((await alias('strict', 't-other-aud')).body.error_description).toMatch(/audience/);
    expect((await alias('strict', 't-other-client')).body.error_description).toMatch(/another client/);
  });

  it('answers 503 when the provider refuses our credentials, and logs why without secrets', async () => {
    answers.set('t-ok', { active: true, sub: 'corp-1' });
    const r = await alias('wrong-creds', 't-ok');
    expect(r.status).toBe(503);
    expect(r.body.error).toBe('temporarily_unavailable');
    expect(logs).toMatch(/check the provider credentials/);
    expect(logs).not.toContain('not-their-secret');
  });

  it('answers 503 for a Facebook endpoint that does not answer in time, and never logs the app token or the user token', async () => {
    const r = await alias('slow-fb', 'user-token-must-not-leak');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(logs).toMatch(/no answer within 300 ms/);
    expect(logs).not.toContain('hidden-app-secret');
    expect(logs).not.toContain('user-token-must-not-leak');
  });
});
