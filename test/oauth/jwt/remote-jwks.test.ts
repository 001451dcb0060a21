import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtVerify } from 'jose';
import { RemoteKeySet } from '../../../src/oauth/jwt/remote-jwks.js';
import { cacheLifetime, isAllowedUrl } from '../../../src/oauth/jwt/fetch.js';
import { OAuthError } from '../../../src/oauth/errors.js';
import { jwks, makeKey, sign, startPeer, type Peer, type PeerAnswer, type TestKey } from '../../support/peer.js';
import { makeTestPki, thumbprintOf, type TestPki } from '../../support/certificates.js';

let peer: Peer;
let k1: TestKey;
let k2: TestKey;
let pki: TestPki;

beforeAll(async () => {
  peer = await startPeer();
  k1 = await makeKey('k1');
  k2 = await makeKey('k2');
  pki = makeTestPki();
});
afterAll(async () => {
  await peer.close();
  pki.remove();
});

const opts = { timeoutMs: 500, cooldownSeconds: 30, what: 'The test JWKS' };

/** A clock the test moves by hand, so freshness is tested without waiting. */
function clock(start = 1_700_000_000_000): { now: () => number; advance: (s: number) => void } {
  let t = start;
  return { now: () => t, advance: (s) => (t += s * 1000) };
}

function route(path: string, answer: () => PeerAnswer): string {
  peer.routes.set(path, answer);
  return peer.url + path;
}

async function verifyWith(set: RemoteKeySet, token: string): Promise<unknown> {
  return jwtVerify(token, set.getKey, { algorithms: ['ES256'] }).then(
    (r) => r.payload,
    (e: unknown) => e,
  );
}

describe('RemoteKeySet', () => {
  it('honours Cache-Control max-age: no refetch while fresh, one refetch after', async () => {
    const url = route('/fresh', () => ({ headers: { 'cache-control': 'public, max-age=120' }, body: jwks(k1) }));
    const c = clock();
    const set = new RemoteKeySet(url, opts, c.now);
    const token = await sign(k1, { sub: 'a' });
    expect(await verifyWith(set, token)).toMatchObject({ sub: 'a' });
    c.advance(119);
    expect(await verifyWith(set, token)).toMatchObject({ sub: 'a' });
    expect(peer.hits('/fresh')).toBe(1);
    c.advance(2);
    expect(await verifyWith(set, token)).toMatchObject({ sub: 'a' });
    expect(peer.hits('/fresh')).toBe(2);
  });

  it('refetches on an unknown kid (upstream rotation), at most once per cooldown', async () => {
    let current = [k1];
    const url = route('/rotate', () => ({ headers: { 'cache-control': 'max-age=3600' }, body: jwks(...current) }));
    const c = clock();
    const set = new RemoteKeySet(url, opts, c.now);
    expect(await verifyWith(set, await sign(k1, { sub: 'old' }))).toMatchObject({ sub: 'old' });
    current = [k1, k2];
    expect(await verifyWith(set, await sign(k2, { sub: 'new' }))).toMatchObject({ sub: 'new' });
    expect(peer.hits('/rotate')).toBe(2);
    // A junk kid within the cooldown does not reach the upstream.
    const junk = await makeKey('junk');
    expect(await verifyWith(set, await sign(junk, { sub: 'x' }))).toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(peer.hits('/rotate')).toBe(2);
    c.advance(31);
    expect(await verifyWith(set, await sign(junk, { sub: 'x' }))).toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(peer.hits('/rotate')).toBe(3);
  });

  it('lets concurrent requests with the new kid share one refetch', async () => {
    let current = [k1];
    const url = route('/burst', () => ({ delayMs: 50, headers: { 'cache-control': 'max-age=3600' }, body: jwks(...current) }));
    const set = new RemoteKeySet(url, opts);
    expect(await verifyWith(set, await sign(k1, { sub: 'old' }))).toMatchObject({ sub: 'old' });
    current = [k1, k2];
    const token = await sign(k2, { sub: 'new' });
    const results = await Promise.all(Array.from({ length: 5 }, () => verifyWith(set, token)));
    for (const r of results) expect(r).toMatchObject({ sub: 'new' });
    expect(peer.hits('/burst')).toBe(2);
  });

  it('turns a provider that is down into 503 temporarily_unavailable with Retry-After', async () => {
    const down = await startPeer();
    const url = down.url + '/jwks';
    await down.close();
    const err = await verifyWith(new RemoteKeySet(url, opts), await sign(k1, {}));
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
    expect((err as OAuthError).headers['retry-after']).toMatch(/^\d+$/);
  });

  it('gives up on a slow provider after its timeout (503, not a hang)', async () => {
    const url = route('/slow', () => ({ delayMs: 10_000, body: jwks(k1) }));
    const err = await verifyWith(new RemoteKeySet(url, { ...opts, timeoutMs: 200 }), await sign(k1, {}));
    expect(err).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
  });

  it.each([
    ['not JSON', (): PeerAnswer => ({ body: '<html>oops</html>' })],
    ['not a JWK Set', (): PeerAnswer => ({ body: { hello: 'world' } })],
    ['a 500', (): PeerAnswer => ({ status: 500, body: jwks(k1) })],
    ['a 404', (): PeerAnswer => ({ status: 404, body: {} })],
  ])('treats %s as unavailable (503)', async (_what, answer) => {
    const url = route('/garbage', answer);
    expect(await verifyWith(new RemoteKeySet(url, opts), await sign(k1, {}))).toMatchObject({ code: 'temporarily_unavailable' });
  });

  it('keeps serving keys it has when a refresh fails (stale within the grace period)', async () => {
    let up = true;
    const url = route('/stale', () => (up ? { headers: { 'cache-control': 'max-age=60' }, body: jwks(k1) } : { status: 503 }));
    const c = clock();
    const set = new RemoteKeySet(url, opts, c.now);
    const token = await sign(k1, { sub: 's' });
    expect(await verifyWith(set, token)).toMatchObject({ sub: 's' });
    up = false;
    c.advance(120);
    expect(await verifyWith(set, token)).toMatchObject({ sub: 's' });
    c.advance(3 * 3600);
    expect(await verifyWith(set, token)).toMatchObject({ code: 'temporarily_unavailable' });
  });
});

describe('RemoteKeySet certificates (RFC 8705 §2.2.2 jwks_uri)', () => {
  /** A key naming a certificate by x5c (its base64 DER), as a self_signed_tls_client_auth client publishes it. */
  const withCert = (key: TestKey, pem: string) => ({ ...key.publicJwk, x5c: [pki.der(pem)] });
  const has = (set: RemoteKeySet, pem: string) => set.hasCertificate(thumbprintOf(pem)).then(
    (v) => v,
    (e: unknown) => e,
  );

  it('knows a key\'s x5c[0] and x5t#S256, and one fetch serves keys and certificates alike while fresh', async () => {
    const url = route('/certs-fresh', () => ({ headers: { 'cache-control': 'max-age=120' }, body: { keys: [withCert(k1, pki.selfSigned.cert), { kty: 'EC', 'x5t#S256': thumbprintOf(pki.client.cert) }] } }));
    const c = clock();
    const set = new RemoteKeySet(url, opts, c.now);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    expect(await has(set, pki.client.cert)).toBe(true);
    expect(await verifyWith(set, await sign(k1, { sub: 'a' }))).toMatchObject({ sub: 'a' });
    c.advance(119);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    expect(peer.hits('/certs-fresh')).toBe(1);
    c.advance(2);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    expect(peer.hits('/certs-fresh')).toBe(2);
  });

  it('refetches for a certificate it does not know (the client rotated), at most once per cooldown', async () => {
    let current = [withCert(k1, pki.selfSigned.cert)];
    const url = route('/certs-rotate', () => ({ headers: { 'cache-control': 'max-age=3600' }, body: { keys: current } }));
    const c = clock();
    const set = new RemoteKeySet(url, opts, c.now);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    current = [withCert(k1, pki.selfSigned.cert), withCert(k2, pki.other.cert)];
    expect(await has(set, pki.other.cert)).toBe(true);
    expect(peer.hits('/certs-rotate')).toBe(2);
    // A junk certificate within the cooldown does not reach the upstream, nor does an unknown kid (one cooldown per document).
    expect(await has(set, pki.rogue.cert)).toBe(false);
    expect(await verifyWith(set, await sign(await makeKey('junk'), {}))).toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(peer.hits('/certs-rotate')).toBe(2);
    c.advance(31);
    expect(await has(set, pki.rogue.cert)).toBe(false);
    expect(peer.hits('/certs-rotate')).toBe(3);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    expect(peer.hits('/certs-rotate')).toBe(3);
  });

  it('lets concurrent requests with the new certificate share one refetch', async () => {
    let current = [withCert(k1, pki.selfSigned.cert)];
    const url = route('/certs-burst', () => ({ delayMs: 50, headers: { 'cache-control': 'max-age=3600' }, body: { keys: current } }));
    const set = new RemoteKeySet(url, opts);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    current = [withCert(k2, pki.other.cert)];
    const results = await Promise.all(Array.from({ length: 5 }, () => has(set, pki.other.cert)));
    expect(results).toEqual([true, true, true, true, true]);
    expect(peer.hits('/certs-burst')).toBe(2);
  });

  it('knows no certificate in a document without any, and does not refetch right after loading it', async () => {
    const url = route('/certs-none', () => ({ headers: { 'cache-control': 'max-age=3600' }, body: jwks(k1, k2) }));
    const set = new RemoteKeySet(url, opts, clock().now);
    expect(await has(set, pki.selfSigned.cert)).toBe(false);
    expect(peer.hits('/certs-none')).toBe(1);
  });

  it('keeps the certificates it has when a refresh fails (stale within the grace period), then 503', async () => {
    let up = true;
    const url = route('/certs-stale', () => (up ? { headers: { 'cache-control': 'max-age=60' }, body: { keys: [withCert(k1, pki.selfSigned.cert)] } } : { status: 503 }));
    const c = clock();
    const set = new RemoteKeySet(url, opts, c.now);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    up = false;
    c.advance(120);
    expect(await has(set, pki.selfSigned.cert)).toBe(true);
    // An unknown certificate's refetch fails: the upstream's outage, not the client's fault (503, as for an unknown kid).
    expect(await has(set, pki.other.cert)).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
    c.advance(3 * 3600);
    expect(await has(set, pki.selfSigned.cert)).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
  });

  it.each([
    ['not JSON', (): PeerAnswer => ({ body: '<html>oops</html>' })],
    ['not a JWK Set', (): PeerAnswer => ({ body: { x5c: ['AAAA'] } })],
    ['a 404', (): PeerAnswer => ({ status: 404, body: {} })],
  ])('treats %s as unavailable (503 with Retry-After), never as "no certificate"', async (_what, answer) => {
    const url = route('/certs-garbage', answer);
    const err = await has(new RemoteKeySet(url, opts), pki.selfSigned.cert);
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
    expect((err as OAuthError).headers['retry-after']).toMatch(/^\d+$/);
  });
});

describe('cacheLifetime', () => {
  const h = (cc: string, age?: string) => new Headers({ 'cache-control': cc, ...(age ? { age } : {}) });
  it('reads max-age, subtracts Age, and treats no-store/no-cache as 0', () => {
    expect(cacheLifetime(h('public, max-age=300'))).toBe(300);
    expect(cacheLifetime(h('max-age=300', '100'))).toBe(200);
    expect(cacheLifetime(h('no-cache, max-age=300'))).toBe(0);
    expect(cacheLifetime(h('private'))).toBeUndefined();
    expect(cacheLifetime(new Headers())).toBeUndefined();
  });
});

describe('isAllowedUrl', () => {
  it('requires https except on loopback or when explicitly allowed', () => {
    expect(isAllowedUrl('https://accounts.google.com', false)).toBe(true);
    expect(isAllowedUrl('http://127.0.0.1:8080/jwks', false)).toBe(true);
    expect(isAllowedUrl('http://localhost/jwks', false)).toBe(true);
    expect(isAllowedUrl('http://idp.example.com/jwks', false)).toBe(false);
    expect(isAllowedUrl('http://idp.example.com/jwks', true)).toBe(true);
    expect(isAllowedUrl('https://user:pw@idp.example.com/', false)).toBe(false);
    expect(isAllowedUrl('ftp://idp.example.com/', true)).toBe(false);
    expect(isAllowedUrl('not a url', true)).toBe(false);
  });
});
