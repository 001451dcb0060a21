import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/**
 * No secret, password or token reaches the log, at trace level with request logging on, whatever the request
 * carries in its body, headers or query, successful or not, including a server-side failure.
 */
const SECRET = 'LOGTEST-client-secret-0123456789';
const PASSWORD = 'LOGTEST-user-password-9876';
const REFRESH = 'LOGTEST-refresh-token-abcdef';
const BEARER = 'LOGTEST-bearer-token-zyxwv';
const ASSERTION = 'LOGTEST-assertion-qwerty';
const CLIENTS = { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }, { client_id: 'cold', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] };
const lines: string[] = [];
let s: TestServer;

/** A log destination that keeps every line in `into`. */
function capture(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      into.push(chunk.toString('utf8'));
      done();
    },
  });
}

beforeAll(async () => {
  s = await startTestServer({ env: { TESSERA_LOG_REQUESTS: 'true', TESSERA_LOG_LEVEL: 'trace' }, logStream: capture(lines), doc: CLIENTS });
});
afterAll(async () => s.stop());

describe('logs', () => {
  it('never contain secrets, passwords or tokens', async () => {
    const issued: string[] = [];
    const ok = await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
    expect(ok.status).toBe(200);
    issued.push(ok.body.access_token as string);
    const ok2 = await s.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'svc', client_secret: SECRET });
    expect(ok2.status).toBe(200);
    issued.push(ok2.body.access_token as string);

    await s.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'svc', client_secret: SECRET + 'x' });
    await s.post('/oauth/token', { grant_type: 'password', username: 'alice', password: PASSWORD, client_id: 'svc', client_secret: SECRET });
    await s.post('/oauth/token', { grant_type: 'refresh_token', refresh_token: REFRESH }, { authorization: basic('svc', SECRET) });
    await s.post('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: ASSERTION }, { authorization: basic('svc', SECRET) });
    await s.post(`/oauth/token?client_secret=${SECRET}&password=${PASSWORD}&token=${BEARER}`, { grant_type: 'client_credentials' });
    await s.post('/oauth/token', `grant_type=client_credentials&password=${PASSWORD}&password=${PASSWORD}`, { authorization: basic('svc', SECRET) });
    await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: `Bearer ${BEARER}`, cookie: `session=${BEARER}` });
    await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: `Bearer ${issued[0]!}` });
    await fetch(`${s.url}/oauth/token?access_token=${issued[1]!}`);
    await fetch(`${s.url}/nope?client_secret=${SECRET}`, { headers: { authorization: basic('svc', SECRET) } });
    await s.post('/oauth/token', `{"client_secret":"${SECRET}","password":"${PASSWORD}"}`, { 'content-type': 'application/json' });
    // 401 paths: malformed Basic credentials (raw, not base64; a raw secret with a '%' that fails form-decoding; no
    // colon), a wrong secret at revocation and introspection. Neither their logs nor their descriptions carry it.
    const refusals = [
      await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: `Basic ${SECRET}` }),
      await s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: 'Basic ' + Buffer.from(`svc:${SECRET}%`).toString('base64') }),
      await s.post('/oauth/introspect', { token: BEARER }, { authorization: 'Basic ' + Buffer.from(SECRET).toString('base64') }),
      await s.post('/oauth/revoke', { token: BEARER, client_id: 'svc', client_secret: SECRET + 'x' }),
      await s.post('/oauth/introspect', { token: BEARER }, { authorization: basic('svc', SECRET + 'x') }),
    ];
    for (const r of refusals) {
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(JSON.stringify(r.body)).not.toContain(SECRET);
      expect(JSON.stringify(r.body)).not.toContain(BEARER);
    }
    // A server-side failure is logged with its error; the request's credentials must not come with it.
    await s.ctx.store.close();
    const failed = await s.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'cold', client_secret: SECRET, password: PASSWORD });
    expect(failed.status).toBeGreaterThanOrEqual(500);

    const log = lines.join('');
    // The test can fail: request logging is on and did log these requests.
    expect(log).toMatch(/"msg":"request"/);
    expect(log).toMatch(/"route":"\/oauth\/token"/);
    expect(log).toMatch(/"level":50/);

    const basicHeader = basic('svc', SECRET).slice('Basic '.length);
    const refusedHeaders = [`svc:${SECRET}%`, SECRET].map((x) => Buffer.from(x).toString('base64'));
    for (const secret of [SECRET, encodeURIComponent(SECRET), PASSWORD, REFRESH, BEARER, ASSERTION, basicHeader, ...refusedHeaders, ...issued]) {
      expect(log.includes(secret), `log contains ${secret.slice(0, 16)}...`).toBe(false);
    }
    // The JWTs' signature parts alone must not be there either.
    for (const t of issued) expect(log.includes(t.split('.')[2]!)).toBe(false);
  });
});

describe('logs with request logging off (the default)', () => {
  const quiet: string[] = [];
  let q: TestServer;
  beforeAll(async () => {
    q = await startTestServer({ logStream: capture(quiet), doc: CLIENTS });
  });
  afterAll(async () => q.stop());

  it('say where the server listens, log no request, and log a server-side failure with its request id', async () => {
    const ok = await q.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) });
    expect(ok.status).toBe(200);
    await q.ctx.store.close();
    const failed = await q.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'cold', client_secret: SECRET }, { 'x-request-id': 'req-failing-1' });
    expect(failed.status).toBeGreaterThanOrEqual(500);

    const records = quiet.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg?: string; reqId?: string; level?: number; url?: string });
    expect(records.some((r) => r.msg === `listening at ${q.url}` && r.url === q.url)).toBe(true);
    expect(records.some((r) => r.msg === 'request')).toBe(false);
    const failure = records.find((r) => r.reqId === 'req-failing-1');
    expect(failure?.level).toBeGreaterThanOrEqual(50);
    expect(quiet.join('').includes(SECRET)).toBe(false);
  });
});
