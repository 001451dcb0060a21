import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { ADMIN_CLIENTS, call, eventually, SECRET } from './admin/helpers.js';

/**
 * Scheduled signing-key rotation on a real server (SQLite), with the server's clock in the test's hands:
 * rotateEvery 3s, prePublish 1s, tokens live at most 60 s and no clock skew. The scheduler ticks every 250 ms
 * of real time; the test moves the clock and waits (up to 10 s: a loaded CI machine) for what a resource server
 * would see.
 */
let s: TestServer;
let clock = Math.floor(Date.now() / 1000);
/** The first key's activation time: the schedule counts from it (set once the server made it). */
let start = clock;

beforeAll(async () => {
  s = await startTestServer({
    doc: { clients: [...ADMIN_CLIENTS, { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', access_token_ttl: 60 }] },
    env: { TESSERA_KEYS_ROTATE_EVERY: '3s', TESSERA_KEYS_PRE_PUBLISH: '1s', TESSERA_MAX_ACCESS_TOKEN_TTL: '60', TESSERA_ACCESS_TOKEN_TTL: '60', TESSERA_CLOCK_SKEW: '0' },
    now: () => clock,
  });
  // The first key is stamped by the store when the server starts, which on a loaded machine may be seconds after
  // this module read the clock: the timeline below counts from that stamp, as the scheduler does.
  const keys = (await admin('/keys')).body.items as Array<{ activates_at: string }>;
  expect(keys).toHaveLength(1);
  start = Math.floor(Date.parse(keys[0]!.activates_at) / 1000);
  clock = start;
});
afterAll(async () => s?.stop());

const token = async (): Promise<string> => {
  const r = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.access_token as string;
};
const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;
const jwks = async (): Promise<JSONWebKeySet> => (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
const kids = async () => (await jwks()).keys.map((k) => k.kid!);
const admin = async (path: string) => {
  const t = (await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('admin', SECRET) })).body.access_token as string;
  return call(s.url, 'GET', `/admin/v1${path}`, { token: t });
};
const iso = (t: number) => new Date(t * 1000).toISOString();

describe('scheduled signing-key rotation', () => {
  let first: string;
  let next: string;
  let seenBefore: JSONWebKeySet;
  /** Signed by the first key at start + 2, expires at start + 62. */
  let firstToken: string;

  it('publishes the next key in the JWKS before it signs anything', async () => {
    first = kidOf(await token());
    clock = start + 1; // before rotateEvery - prePublish (2 s): nothing yet
    await new Promise((r) => setTimeout(r, 600));
    expect(await kids()).toEqual([first]);
    clock = start + 2;
    await eventually(async () => (await kids()).length === 2, 10_000);
    next = (await kids()).find((k) => k !== first)!;
    // Published, not signing: tokens still carry the first kid until the activation time.
    for (let i = 0; i < 3; i++) expect(kidOf((firstToken = await token()))).toBe(first);
    // What a resource server caches now.
    seenBefore = await jwks();
    const listed = (await admin('/keys')).body.items as Array<Record<string, unknown>>;
    expect(listed.find((k) => k.kid === next)).toMatchObject({ status: 'pending', activates_at: iso(start + 3) });
    const schedule = (await admin('/keys/schedule')).body;
    expect(schedule).toMatchObject({ rotation: { enabled: true, rotate_every: '3s', pre_publish: '1s' }, current: { kid: first }, next: { kid: next, published: true, activates_at: iso(start + 3) } });
  });

  it('signs with the new key from its activation time; the JWKS fetched before verifies it', async () => {
    clock = start + 3;
    const t = await token();
    // The switch is by the clock, not by the scheduler's tick: the first token after the activation time has it.
    expect(kidOf(t)).toBe(next);
    const { payload } = await jwtVerify(t, createLocalJWKSet(seenBefore), { issuer: s.config.issuer, currentDate: new Date(clock * 1000) });
    expect(payload.client_id).toBe('svc');
    // The scheduler marks it active and retires the first key, published until its last token expires.
    await eventually(async () => ((await admin('/keys')).body.items as Array<Record<string, unknown>>).some((k) => k.kid === next && k.status === 'active'), 10_000);
    const listed = (await admin('/keys')).body.items as Array<Record<string, unknown>>;
    expect(listed.find((k) => k.kid === first)).toMatchObject({ status: 'retired', retired_at: iso(start + 3), published_until: iso(start + 63) });
  });

  it('keeps the retired key published while its tokens live, then removes it from the JWKS', async () => {
    const events = async () => ((await admin('/events?type=key.retired')).body.items as Array<Record<string, unknown>>) ?? [];
    // The clock stands still meanwhile: no further rotation (the next one is due at +5).
    expect(await kids()).toEqual(expect.arrayContaining([first, next]));
    // A token the retired key signed is still good.
    const old = await s.post('/oauth/introspect', { token: firstToken }, { authorization: basic('svc', SECRET) });
    expect(old.body).toMatchObject({ active: true, client_id: 'svc' });
    // Its last possible token expires at start + 63 (activation + maxAccessTokenTtl): still published then.
    clock = start + 63;
    await new Promise((r) => setTimeout(r, 300));
    expect(await kids()).toContain(first);
    clock = start + 64;
    await eventually(async () => !(await kids()).includes(first), 10_000);
    expect(await kids()).toContain(next);
    await eventually(async () => (await events()).some((e) => (e.details as Record<string, unknown>).kid === first), 10_000);
    const rotated = ((await admin('/events?type=key.rotated')).body.items as Array<Record<string, unknown>>).filter((e) => (e.details as Record<string, unknown>).kid === next);
    expect(rotated.map((e) => (e.details as Record<string, unknown>).stage).sort()).toEqual(['activated', 'published']);
    expect(rotated[0]).toMatchObject({ actor: { kind: 'system', id: 'scheduler' } });
  });
});
