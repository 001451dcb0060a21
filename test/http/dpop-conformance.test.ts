import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { makeDpopKey, makeProof, signedProof, type DpopKey } from '../support/dpop.js';

/**
 * An audit of the token endpoint against RFC 9449 as a strict black-box client sees it: every case goes over a
 * real socket. The proof checks of §4.3 on malformed and unusual input (never a 500), the §7.1 challenge's
 * syntax, every advertised algorithm end to end (RFC 8414 metadata), and the htu a proof must name.
 */
const SECRET = 'dpop-conformance-secret-0123';
let s: TestServer;
let key: DpopKey;
let htu: string;

beforeAll(async () => {
  key = await makeDpopKey('ES256');
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'bound', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', dpop_bound_access_tokens: true },
      ],
    },
  });
  htu = `${s.config.issuer}/oauth/token`;
}, 30_000);
afterAll(async () => s?.stop());

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };
const cc = (proof: string | undefined, client = 'svc'): Promise<Answer> =>
  s.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client, SECRET), ...(proof !== undefined ? { dpop: proof } : {}) });

/**
 * RFC 7235 §4.1 / RFC 9110 §11.6.1: `DPoP` 1*SP auth-param *( OWS "," OWS auth-param ), each a token "=" a
 * quoted-string here (RFC 9449 §7.1 defines error, error_description and algs as quoted strings).
 */
function parseChallenge(header: string | null): Record<string, string> {
  expect(header).not.toBeNull();
  const m = /^DPoP (.*)$/.exec(header!);
  expect(m, header!).not.toBeNull();
  const params: Record<string, string> = {};
  const re = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)="((?:[^"\\]|\\.)*)"(?:[ \t]*,[ \t]*|$)/y;
  let rest = m![1]!;
  while (rest.length > 0) {
    re.lastIndex = 0;
    const p = re.exec(rest);
    expect(p, `challenge ${header}`).not.toBeNull();
    params[p![1]!] = p![2]!;
    rest = rest.slice(re.lastIndex);
  }
  return params;
}

function expectProofRefused(r: Answer, description?: RegExp): void {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.body.error).toBe('invalid_dpop_proof');
  if (description) expect(r.body.error_description).toMatch(description);
  expect(r.headers.get('cache-control')).toBe('no-store');
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  const challenge = parseChallenge(r.headers.get('www-authenticate'));
  expect(challenge.error).toBe('invalid_dpop_proof');
  expect(challenge.algs).toBe(s.config.dpop.signingAlgs.join(' '));
}

/** A POST with a header sent as two separate field lines (fetch would join them). */
function postTwoHeaders(proofs: [string, string]): Promise<Answer> {
  const url = new URL(`${s.url}/oauth/token`);
  const body = 'grant_type=client_credentials';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('svc', SECRET), dpop: proofs, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve({ status: res.statusCode!, headers, body: JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on('error', reject).end(body);
  });
}

/** A POST whose DPoP header holds raw bytes (UTF-8 here), written on a plain socket. */
function postRawDpop(value: Buffer): Promise<{ status: number; body: string }> {
  const url = new URL(s.url);
  const body = 'grant_type=client_credentials';
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname);
    let text = '';
    sock.on('data', (c: Buffer) => (text += c.toString('latin1'))).on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    }).on('error', reject);
    sock.write(
      Buffer.concat([
        Buffer.from(`POST /oauth/token HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: ${basic('svc', SECRET)}\r\nConnection: close\r\nContent-Length: ${body.length}\r\nDPoP: `),
        value,
        Buffer.from(`\r\n\r\n${body}`),
      ]),
    );
  });
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

describe('RFC 9449 §4.3 check 1: exactly one DPoP header holding one JWS', () => {
  it('refuses two DPoP header lines and a comma-joined value', async () => {
    const [a, b] = [await makeProof(key, { htu }), await makeProof(key, { htu })];
    expectProofRefused(await postTwoHeaders([a, b]), /exactly one DPoP header/);
    expectProofRefused(await cc(`${a},${b}`), /exactly one DPoP header/);
  });

  it('answers invalid_dpop_proof, never a 500, for malformed proofs of every shape', async () => {
    const good = await makeProof(key, { htu });
    const [h, p, sig] = good.split('.') as [string, string, string];
    const malformed = [
      '',
      'not-a-jwt',
      'a.b.c',
      '...',
      `${h}.${p}`,
      `${h}.${p}.${sig}.${sig}`,
      `${h}.${p}.${sig}.`,
      `${b64([1, 2])}.${p}.${sig}`,
      `${h}.${b64([1, 2])}.${sig}`,
      `${b64('null')}.${p}.${sig}`,
      `${h}.${b64('null')}.${sig}`,
      `${b64('"dpop"')}.${p}.${sig}`,
      `${h}.${b64('17')}.${sig}`,
      `${b64('{')}.${p}.${sig}`,
      `${Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64url')}.${p}.${sig}`,
      `${h}.${Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64url')}.${sig}`,
      `${h}.${p}.!!!`,
      `${h}+.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: [] })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: 'x' })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 1, y: 2 } })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' } })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'A"}', y: 'B' } })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'RS256', jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x: '' } })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: ['ES256'], jwk: key.publicJwk })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, crit: ['exp'] })}.${p}.${sig}`,
      `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: { ...key.publicJwk, __proto__: { d: 'x' } } })}.${p}.${sig}`,
      `${b64('{"typ":"dpop+jwt","alg":"ES256","jwk":{"__proto__":{"kty":"EC"}}}')}.${p}.${sig}`,
      'x'.repeat(9000),
      `${h}.${b64({ jti: 'x', htm: 'POST', htu, iat: now(), pad: 'é'.repeat(3000) })}.${sig}`,
    ];
    for (const proof of malformed) {
      const r = await cc(proof);
      expect(r.status, `${proof.slice(0, 80)} -> ${JSON.stringify(r.body)}`).toBe(400);
      expectProofRefused(r);
    }
  });

  it('answers non-ASCII bytes in the header with a 400 (never a 500)', async () => {
    const good = await makeProof(key, { htu });
    for (const value of [Buffer.from(`${good}é`, 'utf8'), Buffer.from('ünïcødé.ünïcødé.ünïcødé', 'utf8'), Buffer.from('😀.😀.😀', 'utf8')]) {
      const r = await postRawDpop(value);
      expect(r.status, r.body).toBe(400);
      expect(JSON.parse(r.body).error).toMatch(/^invalid_(dpop_proof|request)$/);
    }
  });

  it('answers a header over Node\'s size limit with the §5.2 shape (431), not a 500', async () => {
    const r = await postRawDpop(Buffer.from('a'.repeat(20_000)));
    expect(r.status).toBe(431);
    expect(JSON.parse(r.body).error).toBe('invalid_request');
  });
});

describe('RFC 9449 §4.3 checks 2-5, 7: claims and header members', () => {
  it('refuses a missing, empty, non-string or over-long jti', async () => {
    for (const jti of [undefined, '', 17, ['a'], { a: 1 }, 'j'.repeat(257)]) {
      const claims: Record<string, unknown> = { htm: 'POST', htu, iat: now() };
      if (jti !== undefined) claims.jti = jti;
      expectProofRefused(await cc(await signedProof(key, claims)), /jti/);
    }
  });

  it('refuses a missing or non-numeric iat and accepts a fractional one (a JWT NumericDate, RFC 7519 §2)', async () => {
    for (const iat of [undefined, String(now()), null, [now()], true]) {
      const claims: Record<string, unknown> = { jti: randomUUID(), htm: 'POST', htu };
      if (iat !== undefined) claims.iat = iat;
      expectProofRefused(await cc(await signedProof(key, claims)), /iat/);
    }
    const r = await cc(await signedProof(key, { jti: randomUUID(), htm: 'POST', htu, iat: Date.now() / 1000 }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  it('accepts iat within the window on both sides, refuses it past the window on both sides', async () => {
    const { proofMaxAge } = s.config.dpop;
    const skew = s.config.clockSkew;
    expect((await cc(await makeProof(key, { htu, iat: now() - proofMaxAge + 5 }))).status).toBe(200);
    expect((await cc(await makeProof(key, { htu, iat: now() + skew - 5 }))).status).toBe(200);
    expectProofRefused(await cc(await makeProof(key, { htu, iat: now() - proofMaxAge - 5 })), /too old/);
    expectProofRefused(await cc(await makeProof(key, { htu, iat: now() + skew + 5 })), /future/);
  });

  it('refuses a missing or non-string htm and htu, and a method in another case (RFC 9110 §9.1)', async () => {
    for (const claims of [{ htu }, { htm: 7, htu }, { htm: 'POST' }, { htm: 'POST', htu: 7 }, { htm: 'post', htu }]) {
      expectProofRefused(await cc(await signedProof(key, { jti: randomUUID(), iat: now(), ...claims })), /ht[mu]/);
    }
  });

  it('refuses typ in another spelling, a missing typ, and alg none, HS256 and unknown algs', async () => {
    for (const typ of ['JWT', 'DPOP+JWT', 'application/dpop+jwt', undefined]) {
      expectProofRefused(await cc(await signedProof(key, { jti: randomUUID(), htm: 'POST', htu, iat: now() }, { typ })), /typ/);
    }
    for (const alg of ['none', 'HS256', 'ES256K', 'foo', '']) {
      const header = b64({ typ: 'dpop+jwt', alg, jwk: key.publicJwk });
      expectProofRefused(await cc(`${header}.${b64({ jti: randomUUID(), htm: 'POST', htu, iat: now() })}.AAAA`), /alg/);
    }
  });

  it('ignores an ath claim and a nonce claim at the token endpoint while nonces are off', async () => {
    const r = await cc(await signedProof(key, { jti: randomUUID(), htm: 'POST', htu, iat: now(), ath: 'x'.repeat(43), nonce: 'whatever' }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
    expect(r.headers.get('dpop-nonce')).toBeNull();
  });
});

describe('RFC 9449 §4.3 check 9: htu', () => {
  it('accepts the request URL in any RFC 3986 §6.2.2-6.2.3 equivalent spelling, without query and fragment', async () => {
    const u = new URL(htu);
    for (const spelling of [
      htu,
      `${htu}?a=b`,
      `${htu}#frag`,
      `${htu}?`,
      `HTTP://${u.host}${u.pathname}`,
      `${u.protocol}//${u.host}/oauth/./token`,
      `${u.protocol}//${u.host}/x/../oauth/token`,
    ]) {
      const r = await cc(await makeProof(key, { htu: spelling }));
      expect(r.status, `${spelling}: ${JSON.stringify(r.body)}`).toBe(200);
    }
  });

  it('decodes percent-encoded unreserved characters before comparing (RFC 3986 §6.2.2.2)', async () => {
    const u = new URL(htu);
    for (const spelling of [`${u.protocol}//${u.host}/oauth/%74oken`, `${u.protocol}//${u.host}/%6Fauth/token`, `${u.protocol}//${u.host}/%6fauth/%74%6F%6b%65%6E`]) {
      const r = await cc(await makeProof(key, { htu: spelling }));
      expect(r.status, `${spelling}: ${JSON.stringify(r.body)}`).toBe(200);
    }
  });

  it('refuses an htu with userinfo (RFC 9110 §4.2.4) or characters no URI has (RFC 3986 §2), which WHATWG URL would repair', async () => {
    const u = new URL(htu);
    for (const other of [
      `${u.protocol}//user:pass@${u.host}/oauth/token`,
      `${u.protocol}//user@${u.host}/oauth/token`,
      ` ${htu}`,
      `${htu} `,
      `${u.protocol}//${u.host}\\oauth\\token`,
      `${u.protocol}//${u.host}/oauth/to\tken`,
      `${u.protocol}//${u.host}/oauth/tökén`,
    ]) {
      expectProofRefused(await cc(await makeProof(key, { htu: other })), /htu/);
    }
  });

  it('refuses another path, host, port, scheme, a trailing slash and a relative URL', async () => {
    const u = new URL(htu);
    for (const other of [
      `${u.protocol}//${u.host}/oauth/revoke`,
      `${htu}/`,
      `${u.protocol}//${u.hostname}:1/oauth/token`,
      `https://${u.host}/oauth/token`,
      `${u.protocol}//localhost:${u.port}/oauth/token`,
      '/oauth/token',
      `${u.protocol}//${u.host}/oauth/%2574oken`,
      `${u.protocol}//${u.host}/oauth%2Ftoken`,
      `${u.protocol}//${u.host}/OAUTH/TOKEN`,
    ]) {
      expectProofRefused(await cc(await makeProof(key, { htu: other })), /htu/);
    }
  });
});

describe('RFC 9449 §5: bound tokens, token_type, and clients that must use DPoP', () => {
  it('answers token_type "DPoP" (as RFC 9449 §5 shows it) and binds cnf.jkt', async () => {
    const r = await cc(await makeProof(key, { htu }));
    expect(r.body.token_type).toBe('DPoP');
    expect(decodeJwt(r.body.access_token as string).cnf).toEqual({ jkt: key.jkt });
  });

  it('refuses a dpop_bound_access_tokens client without a proof: 400 invalid_dpop_proof with the challenge', async () => {
    const r = await cc(undefined, 'bound');
    expectProofRefused(r, /DPoP proof/);
  });
});

describe('RFC 9449 §11.1: single use', () => {
  it('refuses the same proof twice, and accepts the same jti under another key (jti is unique per key)', async () => {
    const jti = randomUUID();
    const first = await makeProof(key, { htu, jti });
    expect((await cc(first)).status).toBe(200);
    expectProofRefused(await cc(first), /already used/);
    const other = await makeDpopKey('ES256');
    expect((await cc(await makeProof(other, { htu, jti }))).status).toBe(200);
  });
});

describe('RFC 8414 metadata: every advertised DPoP algorithm works end to end', () => {
  it('gets a DPoP-bound token with a proof of each algorithm in dpop_signing_alg_values_supported', async () => {
    const m = (await (await fetch(`${s.url}/.well-known/oauth-authorization-server`)).json()) as { dpop_signing_alg_values_supported: string[] };
    expect(m.dpop_signing_alg_values_supported.length).toBeGreaterThan(0);
    for (const alg of m.dpop_signing_alg_values_supported) {
      const k = await makeDpopKey(alg);
      const r = await cc(await makeProof(k, { htu }));
      expect(r.status, `${alg}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.token_type).toBe('DPoP');
      expect(decodeJwt(r.body.access_token as string).cnf, alg).toEqual({ jkt: k.jkt });
    }
  });
});

describe('RFC 9449 §4.3 check 9 behind a reverse proxy: the external URL, a path in the issuer, mTLS aliases', () => {
  const ISSUER = 'https://auth.example/tenant';
  const ALIAS = 'https://mtls.auth.example';
  let p: TestServer;
  let m: { token_endpoint: string; mtls_endpoint_aliases?: { token_endpoint: string } };
  const ccVia = async (proofHtu: string, path = '/oauth/token') =>
    p.post(path, { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET), dpop: await makeProof(key, { htu: proofHtu }) });

  beforeAll(async () => {
    p = await startTestServer({
      env: { TESSERA_ISSUER: ISSUER, TESSERA_TRUST_PROXY: '127.0.0.1', TESSERA_MTLS_CERTIFICATE_HEADER: 'x-client-cert', TESSERA_MTLS_ALIAS_BASE_URL: ALIAS },
      doc: { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] },
    });
    m = (await (await fetch(`${p.url}/.well-known/oauth-authorization-server`)).json()) as typeof m;
  }, 30_000);
  afterAll(async () => p?.stop());

  it('accepts the token_endpoint of the metadata, the issuer\'s path included (a proxy that strips it)', async () => {
    expect(m.token_endpoint).toBe(`${ISSUER}/oauth/token`);
    const r = await ccVia(m.token_endpoint);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
  });

  it('refuses a proof for the origin without the issuer\'s path: another resource on that host', async () => {
    // Tessera serves no route under the issuer's path (the proxy strips it), so https://auth.example/oauth/token
    // is not a URL that reaches this endpoint: a proof made for another server there must not be accepted here.
    expect((await p.post('/tenant/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('svc', SECRET) })).status).toBe(404);
    const r = await ccVia('https://auth.example/oauth/token');
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error).toBe('invalid_dpop_proof');
  });

  it('accepts the mTLS alias of the token endpoint (RFC 8705 §5), where a client that uses the aliases sends its proofs', async () => {
    expect(m.mtls_endpoint_aliases?.token_endpoint).toBe(`${ALIAS}/oauth/token`);
    const r = await ccVia(m.mtls_endpoint_aliases!.token_endpoint);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
  });
});
