import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacJwt, jwks, makeKey, nowSeconds, sign, unsecuredJwt, type TestKey } from '../../support/peer.js';
import { captureLog } from '../../support/log-lines.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/**
 * Every refused client assertion (private_key_jwt, client_secret_jwt) answers exactly alike, whether the client
 * is unknown or a known client got its signature, key id, lifetime, audience or jti wrong: otherwise the text
 * tells which client ids exist and how they authenticate (issue 18 item 9). Why it was refused is in the debug
 * log only, without the assertion. Rate limits are off here, so no per-request counter differs between answers.
 */
const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SECRET = 'a-long-shared-client-secret-0123456789';
const log = captureLog();
let s: TestServer;
let key: TestKey;
let rogueSameKid: TestKey;
let otherKid: TestKey;

function claims(clientId: string, extra: Record<string, unknown> = {}) {
  const now = nowSeconds();
  return { iss: clientId, sub: clientId, aud: s.config.issuer, iat: now, exp: now + 60, jti: randomUUID(), ...extra };
}

const token = (assertion: string, extra: Record<string, string> = {}) =>
  s.post('/oauth/token', { grant_type: 'client_credentials', client_assertion_type: TYPE, client_assertion: assertion, ...extra });

/** Everything a client sees, but the headers that differ per request anyway (request id, timing, date). */
function answer(r: Awaited<ReturnType<typeof token>>) {
  const headers = Object.fromEntries([...r.headers.entries()].filter(([name]) => !['x-request-id', 'x-response-time', 'date'].includes(name)));
  return { status: r.status, headers, body: r.body };
}

beforeAll(async () => {
  key = await makeKey('c-1', 'ES256');
  rogueSameKid = await makeKey('c-1', 'ES256');
  otherKid = await makeKey('c-2', 'ES256');
  s = await startTestServer({
    logStream: log.stream,
    env: { TESSERA_RATE_LIMIT_ENABLED: 'false' },
    doc: {
      clients: [
        { client_id: 'pkj', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(key), grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'pkj-off', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(key), grant_types: ['client_credentials'], scope: 'read', status: 'disabled' },
        { client_id: 'csj', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'basic-client', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
    },
  });
}, 30_000);
afterAll(async () => s?.stop());

describe('refused client assertions', () => {
  it('answer identically (status, headers, body) for an unknown client and every failure of a known one', async () => {
    const used = await sign(key, claims('pkj'));
    expect((await token(used)).status).toBe(200);
    const mac = (c: Record<string, unknown>, secret = SECRET) => hmacJwt(new TextEncoder().encode(secret), c);

    const cases: Array<[string, string, Record<string, string>?]> = [
      ['unknown client (private_key_jwt)', await sign(key, claims('nobody'))],
      ['unknown client (client_secret_jwt)', await mac(claims('nobody'))],
      ['wrong signature (another key, same kid)', await sign(rogueSameKid, claims('pkj'))],
      ['unknown kid', await sign(otherKid, claims('pkj'))],
      ['expired', await sign(key, claims('pkj', { exp: nowSeconds() - 600 }))],
      ['wrong aud', await sign(key, claims('pkj', { aud: 'https://elsewhere.example' }))],
      ['exp too far away', await sign(key, claims('pkj', { exp: nowSeconds() + 3600 }))],
      ['nbf in the future', await sign(key, claims('pkj', { nbf: nowSeconds() + 600 }))],
      ['no jti', await sign(key, claims('pkj', { jti: undefined }))],
      ['sub differs from iss', await sign(key, claims('pkj', { sub: 'someone-else' }))],
      ['replayed jti', used],
      ['alg none', unsecuredJwt(claims('pkj'))],
      ['disabled client', await sign(key, claims('pkj-off'))],
      ['client registered for another method', await sign(key, claims('basic-client'))],
      ['client_secret_jwt with a wrong secret', await mac(claims('csj'), 'not-the-secret-at-all')],
      ['client_id that differs from iss', await sign(key, claims('pkj')), { client_id: 'csj' }],
      ['not a JWT', 'not-a-jwt'],
      ['an unsupported client_assertion_type', await sign(key, claims('pkj')), { client_assertion_type: 'urn:example:saml' }],
    ];
    const answers = [];
    const logged = [];
    for (const [what, assertion, extra] of cases) {
      const before = log.withMsg('client assertion refused').length;
      answers.push([what, answer(await token(assertion, extra))] as const);
      logged.push([what, assertion, log.withMsg('client assertion refused').slice(before)] as const);
    }
    const [, first] = answers[0]!;
    expect(first.status).toBe(401);
    expect(first.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(first.headers['www-authenticate']).toMatch(/^Basic realm=/);
    for (const [what, a] of answers) expect(a, what).toEqual(first);
    // Each refusal is logged once, at debug, with a reason and without the assertion.
    for (const [what, assertion, lines] of logged) {
      expect(lines.length, what).toBe(1);
      expect(lines[0]!.level, what).toBe(20);
      expect(typeof lines[0]!.reason, what).toBe('string');
      expect(JSON.stringify(lines[0]), what).not.toContain(assertion);
    }
    // The reasons differ (operators can tell the cases apart), the answers do not.
    const reasons = new Set(log.withMsg('client assertion refused').map((l) => l.reason));
    expect(reasons.size).toBeGreaterThanOrEqual(12);
  });
});
