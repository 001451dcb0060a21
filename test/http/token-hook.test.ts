import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { startPeer, type Peer, type PeerAnswer, type PeerRequest } from '../support/peer.js';
import { verifyTokenHook } from '../../packages/client/src/token-hook.js';
import { signTokenHookBody } from '../../src/oauth/token-hook.js';
import type { SecurityEvent } from '../../src/observability/events.js';

/**
 * The token hook against a real receiver on loopback that checks the signature the way docs/tokens.md shows
 * (verifyTokenHook of @tessera/client) and answers as each test sets it.
 */
const SECRET = 'hook-client-secret-1234';
const HOOK_SECRET = 'a-token-hook-secret-of-32-chars-or-more';
const PASSWORD = 'correct horse battery';
const auth = (id: string) => ({ authorization: basic(id, SECRET) });

let s: TestServer;
let peer: Peer;
let answer: (req: PeerRequest) => PeerAnswer;
const verified: boolean[] = [];
const events: SecurityEvent[] = [];

beforeAll(async () => {
  peer = await startPeer({
    '/hook': async (req) => {
      const ok = await verifyTokenHook({ secret: HOOK_SECRET, body: req.body, timestamp: req.headers['x-tessera-timestamp'] as string, signature: req.headers['x-tessera-signature'] as string });
      verified.push(ok);
      if (!ok) return { status: 401, body: { error: 'bad signature' } };
      return answer(req);
    },
  });
  s = await startTestServer({
    env: { TESSERA_TOKEN_HOOK_URL: `${peer.url}/hook`, TESSERA_TOKEN_HOOK_SECRET: HOOK_SECRET, TESSERA_TOKEN_HOOK_TIMEOUT_MS: '200' },
    doc: {
      clients: [
        { client_id: 'open', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', token_hook: 'fail_open', claims: { plan: 'gold' } },
        { client_id: 'closed', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', token_hook: 'fail_closed' },
        { client_id: 'closed-opaque', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', token_hook: 'fail_closed', access_token_format: 'opaque' },
        { client_id: 'nohook', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'web', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read', token_hook: 'fail_closed' },
        { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: '', introspect_any: true },
      ],
      users: [{ username: 'ada', password: PASSWORD }],
    },
  });
  s.ctx.events.addSink({ name: 'test', takes: (type) => type === 'token_hook.failed', accept: (e) => events.push(e) });
});
afterAll(async () => {
  await s?.stop();
  await peer?.close();
});
beforeEach(() => {
  answer = () => ({ status: 200, body: { claims: { tier: 'pro', seats: 5 } } });
  verified.length = 0;
  events.length = 0;
});

const cc = (client: string) => s.post('/oauth/token', { grant_type: 'client_credentials' }, auth(client));
const counters = () => ({ ...s.ctx.tokenHook.counters });

describe('token hook', () => {
  it('adds the claims of a signed, verified call; the template claims are sent along', async () => {
    const before = counters();
    const r = await cc('open');
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token as string)).toMatchObject({ tier: 'pro', seats: 5, plan: 'gold', sub: 'open' });
    expect(verified).toEqual([true]);
    const sent = JSON.parse(peer.requests.at(-1)!.body) as Record<string, unknown>;
    expect(sent).toMatchObject({ iss: s.config.issuer, client_id: 'open', sub: 'open', scope: 'read', aud: [s.config.issuer], claims: { plan: 'gold' } });
    // Nothing secret goes to the hook: no token, no client secret.
    expect(peer.requests.at(-1)!.body).not.toContain(SECRET);
    expect(counters().ok).toBe(before.ok + 1);
  });

  it('stores the hook claims of an opaque token for introspection', async () => {
    const r = await cc('closed-opaque');
    const i = await s.post('/oauth/introspect', { token: r.body.access_token as string }, auth('rs'));
    expect(i.body).toMatchObject({ active: true, tier: 'pro', seats: 5 });
  });

  it('is not called for a client that did not opt in; 204 adds nothing', async () => {
    const hits = peer.hits('/hook');
    expect((await cc('nohook')).status).toBe(200);
    expect(peer.hits('/hook')).toBe(hits);
    answer = () => ({ status: 204 });
    const r = await cc('closed');
    expect(r.status).toBe(200);
    expect(decodeJwt(r.body.access_token as string)).not.toHaveProperty('tier');
  });

  it('timeout: fail_open issues without the claims, fail_closed answers 503 temporarily_unavailable', async () => {
    answer = () => ({ delayMs: 1000, body: { claims: { tier: 'late' } } });
    const before = counters();
    const open = await cc('open');
    expect(open.status).toBe(200);
    expect(decodeJwt(open.body.access_token as string)).not.toHaveProperty('tier');
    const closed = await cc('closed');
    expect(closed.status).toBe(503);
    expect(closed.body.error).toBe('temporarily_unavailable');
    expect(closed.headers.get('retry-after')).toBe('1');
    expect(counters().timeout).toBe(before.timeout + 2);
    expect(events.map((e) => [e.type, e.clientId, e.details.outcome, e.details.mode])).toEqual([
      ['token_hook.failed', 'open', 'timeout', 'fail_open'],
      ['token_hook.failed', 'closed', 'timeout', 'fail_closed'],
    ]);
    expect(JSON.stringify(events)).not.toContain(HOOK_SECRET);
  });

  it('5xx: fail_open issues, fail_closed refuses; counted as error', async () => {
    answer = () => ({ status: 502, body: { oops: true } });
    const before = counters();
    expect((await cc('open')).status).toBe(200);
    expect((await cc('closed')).body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(counters().error).toBe(before.error + 2);
  });

  it('refuses an answer that sets a reserved claim (rejected), whatever the mode', async () => {
    answer = () => ({ status: 200, body: { claims: { sub: 'someone-else', tier: 'x' } } });
    const before = counters();
    const open = await cc('open');
    expect(open.status).toBe(200);
    expect(decodeJwt(open.body.access_token as string)).toMatchObject({ sub: 'open' });
    expect(decodeJwt(open.body.access_token as string)).not.toHaveProperty('tier');
    expect((await cc('closed')).status).toBe(503);
    answer = () => ({ status: 200, body: 'not json' });
    expect((await cc('closed')).status).toBe(503);
    expect(counters().rejected).toBe(before.rejected + 3);
  });

  it('a fail_closed refresh leaves the refresh token usable (the hook is asked before it rotates)', async () => {
    const login = await s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD }, auth('web'));
    expect(login.status).toBe(200);
    expect(decodeJwt(login.body.access_token as string)).toMatchObject({ tier: 'pro', username: 'ada' });
    answer = () => ({ status: 500 });
    const refused = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, auth('web'));
    expect(refused.status).toBe(503);
    answer = () => ({ status: 200, body: { claims: { tier: 'after' } } });
    const again = await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string }, auth('web'));
    expect(again.status).toBe(200);
    expect(decodeJwt(again.body.access_token as string)).toMatchObject({ tier: 'after' });
    // A fail_closed login that fails starts no family either: it answers 503 and nothing else changes.
    answer = () => ({ status: 500 });
    const families = (await s.ctx.store.refreshTokens.listFamiliesByClient('web')).length;
    expect((await s.post('/oauth/token', { grant_type: 'password', username: 'ada', password: PASSWORD }, auth('web'))).status).toBe(503);
    expect((await s.ctx.store.refreshTokens.listFamiliesByClient('web')).length).toBe(families);
  });

  it('the receiver example never accepts a bad signature, a changed body or a stale timestamp', async () => {
    const body = JSON.stringify({ client_id: 'open', sub: 'open' });
    const t = Math.floor(Date.now() / 1000);
    const good = signTokenHookBody(HOOK_SECRET, t, body);
    expect(await verifyTokenHook({ secret: HOOK_SECRET, body, timestamp: String(t), signature: good })).toBe(true);
    expect(await verifyTokenHook({ secret: HOOK_SECRET, body: body.replace('open', 'evil'), timestamp: String(t), signature: good })).toBe(false);
    expect(await verifyTokenHook({ secret: 'another-secret-of-sufficient-length!!', body, timestamp: String(t), signature: good })).toBe(false);
    expect(await verifyTokenHook({ secret: HOOK_SECRET, body, timestamp: String(t + 1), signature: good })).toBe(false);
    const old = t - 3600;
    expect(await verifyTokenHook({ secret: HOOK_SECRET, body, timestamp: String(old), signature: signTokenHookBody(HOOK_SECRET, old, body) })).toBe(false);
    for (const signature of [undefined, '', 'sha256=', 'sha1=' + good.slice(7), good.toUpperCase()]) expect(await verifyTokenHook({ secret: HOOK_SECRET, body, timestamp: String(t), signature })).toBe(false);
    // Over the wire: a forged request gets the receiver's 401.
    const forged = await fetch(`${peer.url}/hook`, { method: 'POST', body, headers: { 'x-tessera-timestamp': String(t), 'x-tessera-signature': signTokenHookBody('wrong-secret-wrong-secret-wrong-secret', t, body) } });
    expect(forged.status).toBe(401);
    expect(verified).toEqual([false]);
  });
});
