import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { makeApiKey, signedHeaders, type TestApiKey } from '../support/cobo.js';
import { redisAvailable, requireService, TEST_REDIS_URL } from '../support/services.js';

/**
 * Failed-credential throttles through real sockets (issue 18 items 3, 4, 6): parallel password guessing from one
 * address, guessing of client secrets with every secret-based method and request signatures, no oracle for
 * unknown client ids, and the client itself unaffected elsewhere. On the in-process throttle and on Redis.
 * Every request names its own source address (trust proxy), so scenarios never throttle each other. Delays are
 * long (20 s) so nothing depends on how loaded the machine is.
 */
const SECRET = 'the-right-client-secret-0123';
// client_secret_jwt: the secret is the HMAC key, at least the hash's 32 bytes for HS256 (RFC 7518 §3.2).
const CSJ_SECRET = 'the-right-client-secret-jwt-key-0123';
const PASSWORD = 'the right password';
const ADDRESS_ALLOWANCE = 20;
const PAIR_ALLOWANCE = 5;
const CLIENT_ALLOWANCE = 12;
const ORG = 'org-throttle';

const redis = await requireService('Redis', await redisAvailable(), TEST_REDIS_URL);
const backends: Array<[string, Record<string, string>]> = [['in-process throttle', {}]];
if (redis) backends.push(['Redis throttle', { TESSERA_REDIS_URL: TEST_REDIS_URL }]);

let seq = 0;
const freshIp = () => `198.18.${++seq >> 8}.${seq & 255}`;

type Answer = Awaited<ReturnType<TestServer['post']>>;

function expectThrottled(r: Answer, limit: number): void {
  expect(r.status).toBe(429);
  expect(r.body.error).toBe('too_many_requests');
  const retry = Number(r.headers.get('retry-after'));
  expect(retry).toBeGreaterThanOrEqual(1);
  // The same fields as a rate-limit refusal, describing this refusal (not the address's request budget).
  expect(r.headers.get('x-rate-limit-limit')).toBe(String(limit));
  expect(r.headers.get('x-rate-limit-remaining')).toBe('0');
  expect(Number(r.headers.get('x-rate-limit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
  expect(r.headers.get('ratelimit')).toBe(`"default";r=0;t=${retry}`);
  expect(r.headers.get('ratelimit-policy')).toBe(`"default";q=${limit};w=900`);
}

const count = (answers: Answer[], status: number) => answers.filter((a) => a.status === status).length;

describe.each(backends)('failure throttles over HTTP (%s)', (_name, backendEnv) => {
  let s: TestServer;
  let coboKey: TestApiKey;

  beforeAll(async () => {
    coboKey = makeApiKey('ed25519');
    s = await startTestServer({
      env: {
        ...backendEnv,
        TESSERA_REDIS_KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
        TESSERA_TRUST_PROXY: '127.0.0.1',
        // Parallel guesses beyond the KDF gate's per-address share (32) and wait (1 s) would be refused by the gate
        // (and withdrawn from the throttle): let them all through, so the throttles alone decide these tests.
        TESSERA_KDF_PER_ADDRESS: '128',
        TESSERA_KDF_MAX_WAIT_MS: '60000',
        TESSERA_PROFILES: 'cobo',
        TESSERA_LOGIN_THROTTLE_BASE_DELAY_MS: '20000',
        TESSERA_LOGIN_THROTTLE_MAX_DELAY_MS: '60000',
        TESSERA_LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS: String(ADDRESS_ALLOWANCE),
        TESSERA_LOGIN_THROTTLE_ADDRESS_BASE_DELAY_MS: '20000',
        TESSERA_LOGIN_THROTTLE_ADDRESS_MAX_DELAY_MS: '60000',
        TESSERA_CLIENT_AUTH_THROTTLE_FREE_ATTEMPTS: String(PAIR_ALLOWANCE),
        TESSERA_CLIENT_AUTH_THROTTLE_BASE_DELAY_MS: '20000',
        TESSERA_CLIENT_AUTH_THROTTLE_MAX_DELAY_MS: '60000',
        TESSERA_CLIENT_AUTH_THROTTLE_CLIENT_FREE_ATTEMPTS: String(CLIENT_ALLOWANCE),
        TESSERA_CLIENT_AUTH_THROTTLE_CLIENT_BASE_DELAY_MS: '20000',
        TESSERA_CLIENT_AUTH_THROTTLE_CLIENT_MAX_DELAY_MS: '60000',
      },
      doc: {
        clients: [
          { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read' },
          ...['svc', 'svc-post', 'spread', 'burst'].map((client_id) => ({ client_id, client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' })),
          { client_id: 'csj', client_secret: CSJ_SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
          { client_id: 'cobo-app', token_endpoint_auth_method: 'request_signature', grant_types: ['org_implicit'], scope: 'wallet:read', api_keys: [coboKey.publicHex] },
        ],
        users: [{ username: 'victim', password: PASSWORD }],
        organizations: [{ id: ORG, name: 'Org' }],
        installations: [{ org_id: ORG, client_id: 'cobo-app', scope: 'wallet:read' }],
      },
    });
  }, 60_000);
  afterAll(async () => s?.stop());

  const login = (username: string, password: string, ip: string) => s.post('/oauth/token', { grant_type: 'password', client_id: 'web', username, password }, { 'x-forwarded-for': ip });
  const basicToken = (id: string, secret: string, ip: string) => s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(id, secret), 'x-forwarded-for': ip });

  it('password grant: of 80 parallel wrong passwords for different usernames from one address, only the allowance (+1 that starts the delay) is checked; the rest get 429', async () => {
    const ip = freshIp();
    const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => login(`sprayed-${i}`, 'wrong', ip)));
    expect(count(answers, 400)).toBe(ADDRESS_ALLOWANCE + 1);
    expect(count(answers, 429)).toBe(80 - ADDRESS_ALLOWANCE - 1);
    for (const a of answers) if (a.status === 429) expectThrottled(a, ADDRESS_ALLOWANCE);
    // Other addresses are untouched.
    expect((await login('victim', PASSWORD, freshIp())).status).toBe(200);
  }, 60_000);

  it('client_secret_basic: wrong secrets for one client from one address get 429 after the allowance, also for the right secret there; elsewhere the client keeps working', async () => {
    const attacker = freshIp();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => basicToken('svc', `guess-${i}`, attacker)));
    expect(count(answers, 401)).toBe(PAIR_ALLOWANCE + 1);
    expect(count(answers, 429)).toBe(40 - PAIR_ALLOWANCE - 1);
    for (const a of answers) if (a.status === 429) expectThrottled(a, PAIR_ALLOWANCE);
    // No oracle: the right secret from the throttled address is refused like a wrong one.
    expectThrottled(await basicToken('svc', SECRET, attacker), PAIR_ALLOWANCE);
    // The client elsewhere: verified once, then from the remembered secret (this node has seen the attack).
    const home = freshIp();
    for (let i = 0; i < 3; i++) expect((await basicToken('svc', SECRET, home)).status).toBe(200);
  }, 60_000);

  it('an unknown client id is answered exactly like a known one: same statuses, bodies and header names', async () => {
    const run = async (id: string) => {
      const ip = freshIp();
      const answers: Answer[] = [];
      for (let i = 0; i < PAIR_ALLOWANCE + 3; i++) answers.push(await basicToken(id, `guess-${i}`, ip));
      return answers;
    };
    const shape = (a: Answer) => ({
      status: a.status,
      body: { ...a.body, error_description: String(a.body.error_description).replace(/\d+ s$/, 'N s') },
      headers: [...a.headers.keys()].filter((h) => h !== 'date').sort(),
    });
    const known = await run('svc');
    const unknown = await run('no-such-client');
    expect(unknown.map(shape)).toEqual(known.map(shape));
    expect(known.map((a) => a.status)).toEqual([...Array(PAIR_ALLOWANCE + 1).fill(401), 429, 429]);
  }, 60_000);

  it('client_secret_post is throttled the same way', async () => {
    const ip = freshIp();
    const post = (secret: string) => s.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'svc-post', client_secret: secret }, { 'x-forwarded-for': ip });
    for (let i = 0; i <= PAIR_ALLOWANCE; i++) expect((await post(`guess-${i}`)).status).toBe(401);
    expectThrottled(await post('guess-again'), PAIR_ALLOWANCE);
    expectThrottled(await post(SECRET), PAIR_ALLOWANCE);
  }, 60_000);

  it('client_secret_jwt: wrong MACs are throttled per (client, address); the right assertion works from elsewhere', async () => {
    const assertion = (secret: string) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: 'csj', sub: 'csj', aud: s.config.issuer, iat: now, exp: now + 60, jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
    };
    const token = async (secret: string, ip: string) =>
      s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(secret) }, { 'x-forwarded-for': ip });
    const attacker = freshIp();
    for (let i = 0; i <= PAIR_ALLOWANCE; i++) expect((await token(`wrong-secret-${i}`, attacker)).status).toBe(401);
    expectThrottled(await token('wrong-again', attacker), PAIR_ALLOWANCE);
    expectThrottled(await token(CSJ_SECRET, attacker), PAIR_ALLOWANCE);
    expect((await token(CSJ_SECRET, freshIp())).status).toBe(200);
  }, 60_000);

  it('request signatures (Cobo): bad signatures for a key are throttled per (key, address); the key holder works from elsewhere', async () => {
    const forger = makeApiKey('ed25519');
    const query = `client_id=cobo-app&org_id=${ORG}&grant_type=org_implicit`;
    const get = async (signer: TestApiKey, ip: string) => {
      const headers = { ...signedHeaders(signer, { method: 'GET', path: '/oauth/token', query }), 'BIZ-API-KEY': coboKey.publicHex, 'x-forwarded-for': ip };
      const res = await fetch(`${s.url}/oauth/token?${query}`, { headers });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    };
    const attacker = freshIp();
    for (let i = 0; i <= PAIR_ALLOWANCE; i++) expect((await get(forger, attacker)).status).toBe(401);
    expectThrottled(await get(forger, attacker), PAIR_ALLOWANCE);
    expectThrottled(await get(coboKey, attacker), PAIR_ALLOWANCE);
    expect((await get(coboKey, freshIp())).status).toBe(200);
  }, 60_000);

  it('guessing from many addresses: past the per-client allowance every address that failed is stopped, one that did not is never', async () => {
    const addresses = Array.from({ length: CLIENT_ALLOWANCE + 1 }, freshIp);
    for (const ip of addresses) expect((await basicToken('spread', 'wrong-guess', ip)).status).toBe(401);
    // Within its own pair allowance, an address that failed is now stopped by the client's counter.
    expectThrottled(await basicToken('spread', 'another-guess', addresses[0]!), CLIENT_ALLOWANCE);
    expectThrottled(await basicToken('spread', SECRET, addresses[1]!), CLIENT_ALLOWANCE);
    // A fresh address gets its one guess, then is stopped too.
    const newcomer = freshIp();
    expect((await basicToken('spread', 'fresh-guess', newcomer)).status).toBe(401);
    expectThrottled(await basicToken('spread', 'fresh-guess-2', newcomer), CLIENT_ALLOWANCE);
    // The client, from an address that never failed, is not slowed at all, many requests at once included.
    const home = freshIp();
    const own = await Promise.all(Array.from({ length: 20 }, () => basicToken('spread', SECRET, home)));
    expect(own.map((a) => a.status)).toEqual(Array(20).fill(200));
  }, 60_000);

  it('a client\'s burst with a secret not yet remembered is one check: no 429 for a client that never failed', async () => {
    const ip = freshIp();
    const answers = await Promise.all(Array.from({ length: 30 }, () => basicToken('burst', SECRET, ip)));
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
  }, 60_000);
});
