import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, SignJWT, decodeProtectedHeader, decodeJwt } from 'jose';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { generateSigningKey } from '../../../src/keys/generate.js';
import { createVerifier, TokenClient, VerificationError, type VerifierOptions } from '../src/index.js';
import { countingFetch, sleepUntil } from './support.js';

const SECRET = 'verifier-secret-1';
const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const API = 'https://api.example';
const doc = {
  clients: [
    { client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write', audience: [API] },
    { client_id: 'elsewhere', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', audience: ['https://other.example'] },
    { client_id: 'brief', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', audience: [API], access_token_ttl: 1 },
    { client_id: 'opaque', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write', audience: [API], access_token_format: 'opaque' },
    { client_id: 'rs', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'introspect', introspect_any: true },
    { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read', audience: [API] },
    { client_id: 'agent', client_secret: SECRET, grant_types: ['client_credentials', TE], scope: 'read', audience: [API], delegation: { actors: ['agent'], may_act_for: ['*'] } },
    { client_id: 'agent-opaque', client_secret: SECRET, grant_types: [TE], scope: 'read', audience: [API], access_token_format: 'opaque', delegation: { actors: ['agent'], may_act_for: ['*'] } },
  ],
  users: [{ id: 'u-ada', username: 'ada', password: 'correct horse battery' }],
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ doc });
});
afterAll(async () => {
  await server?.stop();
});

const tokenFor = async (clientId: string, scope?: string) =>
  (await new TokenClient({ issuer: server.url, clientId, clientSecret: SECRET }).clientCredentials(scope ? { scope } : {})).access_token;
const verifier = (o: Partial<VerifierOptions> = {}) => createVerifier({ issuer: server.url, audience: API, ...o });
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VerificationError);
  return err as VerificationError;
};

/** Claims as Tessera's issuer writes them (RFC 9068 §2.2), for tokens the tests sign themselves. */
const claims = () => ({ client_id: 'svc', scope: 'read', jti: crypto.randomUUID() });
const sign = (key: Parameters<SignJWT['sign']>[0], header: { alg: string; kid?: string; typ?: string }, iss = server.url) =>
  new SignJWT(claims()).setProtectedHeader(header).setIssuer(iss).setSubject('svc').setAudience(API).setIssuedAt().setExpirationTime('5m').sign(key);

describe('JWT access tokens (RFC 9068)', () => {
  it('accepts a token of this issuer for this audience', async () => {
    const v = await verifier().verify(await tokenFor('svc', 'read'));
    expect(v.format).toBe('jwt');
    expect(v.subject).toBe('svc');
    expect(v.clientId).toBe('svc');
    expect(v.scopes).toEqual(['read']);
    expect(v.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('rejects a token for another audience', async () => {
    const err = await refusal(verifier().verify(await tokenFor('elsewhere')));
    expect(err.error).toBe('invalid_token');
    expect(err.status).toBe(401);
    expect(err.error_description).toContain('aud');
  });

  it('answers insufficient_scope (403) when a required scope is missing, naming the scope', async () => {
    const token = await tokenFor('svc', 'read');
    const err = await refusal(verifier({ requiredScopes: ['write'] }).verify(token));
    expect(err.error).toBe('insufficient_scope');
    expect(err.status).toBe(403);
    expect(err.scope).toEqual(['write']);
    const perCall = await refusal(verifier().verify(token, { requiredScopes: ['read', 'write'] }));
    expect(perCall.scope).toEqual(['read', 'write']);
    await expect(verifier({ requiredScopes: ['read'] }).verify(token)).resolves.toMatchObject({ scopes: ['read'] });
  });

  it('rejects an expired token', async () => {
    const token = await tokenFor('brief');
    await sleepUntil((decodeJwt(token).exp! + 1) * 1000);
    // Control: with a tolerance wider than the overrun the same token passes, so the refusal below is about exp.
    await expect(verifier({ clockToleranceSeconds: 60 }).verify(token)).resolves.toMatchObject({ subject: 'brief' });
    const err = await refusal(verifier({ clockToleranceSeconds: 0 }).verify(token));
    expect(err.error).toBe('invalid_token');
    expect(err.error_description).toContain('expired');
  });

  it('rejects a token signed by a key the issuer does not publish, even with its kid', async () => {
    const { kid, alg } = decodeProtectedHeader(await tokenFor('svc'));
    const { privateKey } = await generateKeyPair(alg!);
    const err = await refusal(verifier().verify(await sign(privateKey, { alg: alg!, kid: kid!, typ: 'at+jwt' })));
    expect(err.error).toBe('invalid_token');
  });

  it('checks typ at+jwt and iss: the issuer key signing a plain JWT or for another issuer is refused', async () => {
    const key = server.ctx.keys.active;
    const header = { alg: key.alg, kid: key.kid };
    // Control: the same key and claims with the RFC 9068 typ are accepted, so the refusals below are about typ / iss.
    await expect(verifier().verify(await sign(key.privateKey, { ...header, typ: 'at+jwt' }))).resolves.toMatchObject({ subject: 'svc' });
    expect((await refusal(verifier().verify(await sign(key.privateKey, { ...header, typ: 'JWT' })))).error).toBe('invalid_token');
    expect((await refusal(verifier().verify(await sign(key.privateKey, { ...header, typ: 'at+jwt' }, 'https://evil.example')))).error_description).toContain('iss');
  });

  it('answers temporarily_unavailable (503) when the key set cannot be fetched', async () => {
    const err = await refusal(verifier({ jwksUri: 'http://127.0.0.1:9/jwks.json', timeoutMs: 500 }).verify(await tokenFor('svc')));
    expect(err.error).toBe('temporarily_unavailable');
    expect(err.status).toBe(503);
  });
});

describe('opaque tokens (RFC 7662 introspection)', () => {
  const introspection = { clientId: 'rs', clientSecret: SECRET };

  it('accepts an active opaque token and caches the answer by token hash', async () => {
    const counting = countingFetch();
    const v = verifier({ introspection, fetch: counting.fetch });
    const token = await tokenFor('opaque', 'read');
    expect(token.split('.')).toHaveLength(1);
    const first = await v.verify(token);
    expect(first).toMatchObject({ format: 'opaque', subject: 'opaque', clientId: 'opaque', scopes: ['read'] });
    const again = await Promise.all([v.verify(token), v.verify(token)]);
    expect(again[1]!.subject).toBe('opaque');
    expect(counting.count('/oauth/introspect')).toBe(1);
  });

  it('refuses opaque tokens without introspection, and unknown ones with it', async () => {
    const token = await tokenFor('opaque');
    expect((await refusal(verifier().verify(token))).error).toBe('invalid_token');
    expect((await refusal(verifier({ introspection }).verify('a'.repeat(43)))).error_description).toContain('not active');
  });

  it('refuses a revoked opaque token', async () => {
    const owner = new TokenClient({ issuer: server.url, clientId: 'opaque', clientSecret: SECRET });
    const token = (await owner.clientCredentials()).access_token;
    const cached = verifier({ introspection: { ...introspection, cacheMaxSeconds: 1 } });
    await expect(cached.verify(token)).resolves.toMatchObject({ format: 'opaque' });
    await owner.revoke(token, 'access_token');
    const fresh = verifier({ introspection: { ...introspection, cacheMaxSeconds: 0 } });
    const err = await refusal(fresh.verify(token));
    expect(err.error).toBe('invalid_token');
    expect(err.error_description).toContain('not active');
    // A cached active answer lives at most cacheMaxSeconds: after that the revocation is seen.
    const cachedAt = Date.now();
    await sleepUntil(cachedAt + 1100);
    expect((await refusal(cached.verify(token))).error).toBe('invalid_token');
  });

  it('answers temporarily_unavailable when its own introspection credentials are refused (the token was not judged)', async () => {
    const err = await refusal(verifier({ introspection: { clientId: 'rs', clientSecret: 'not-the-secret' } }).verify(await tokenFor('opaque')));
    expect(err.error).toBe('temporarily_unavailable');
    expect(err.status).toBe(503);
  });

  it('refuses an opaque token for another audience', async () => {
    const other = createVerifier({ issuer: server.url, audience: 'https://other.example', introspection });
    expect((await refusal(other.verify(await tokenFor('opaque')))).error_description).toContain('audience');
  });
});

describe('key rotation', () => {
  it('accepts tokens of the new key (JWKS refetched on an unknown kid) and still those of the retired one', async () => {
    const v = verifier({ jwks: { cooldownMs: 0 } });
    const before = await tokenFor('svc');
    await expect(v.verify(before)).resolves.toMatchObject({ subject: 'svc' });

    // As `tessera keys rotate` does (src/cli/commands/keys.ts), then the reload the change feed would trigger.
    const now = Math.floor(Date.now() / 1000);
    const cfg = server.config;
    await server.ctx.store.keys.rotate(await generateSigningKey(cfg.signingAlg, server.masterKey.key), now + cfg.maxAccessTokenTtl + cfg.clockSkew);
    await server.ctx.keys.reload();

    const after = await tokenFor('svc');
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    await expect(v.verify(after)).resolves.toMatchObject({ subject: 'svc' });
    await expect(v.verify(before)).resolves.toMatchObject({ subject: 'svc' });
  });
});

describe('delegation (RFC 8693 act)', () => {
  /** A token for ada with act {sub: agent}, minted by the real token exchange. */
  const delegated = async (client = 'agent') => {
    const user = (await server.post('/oauth/token', { grant_type: 'password', client_id: 'web', username: 'ada', password: 'correct horse battery' })).body.access_token as string;
    const r = await server.post('/oauth/token', { grant_type: TE, subject_token: user, subject_token_type: AT, actor_token: await tokenFor('agent'), actor_token_type: AT }, { authorization: `Basic ${Buffer.from(`${client}:${SECRET}`).toString('base64')}` });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.access_token as string;
  };

  it('exposes the actor chain, current actor first, for JWT and opaque tokens', async () => {
    const v = await verifier().verify(await delegated());
    expect(v.subject).toBe('u-ada');
    expect(v.actors).toEqual([{ sub: 'agent' }]);
    const o = await verifier({ introspection: { clientId: 'rs', clientSecret: SECRET } }).verify(await delegated('agent-opaque'));
    expect(o.format).toBe('opaque');
    expect(o.actors).toEqual([{ sub: 'agent' }]);
    expect((await verifier().verify(await tokenFor('svc'))).actors).toEqual([]);
  });

  it('checks the actor requirement: required, forbidden, or a list of accepted actors', async () => {
    const token = await delegated();
    const plain = await tokenFor('svc');
    expect((await verifier({ actor: 'required' }).verify(token)).actors).toHaveLength(1);
    expect((await refusal(verifier({ actor: 'required' }).verify(plain))).error_description).toMatch(/must be a delegated token/);
    expect((await refusal(verifier({ actor: 'forbidden' }).verify(token))).status).toBe(401);
    await verifier({ actor: 'forbidden' }).verify(plain);
    await verifier().verify(token, { actor: { allowed: ['agent'] } });
    expect((await refusal(verifier().verify(token, { actor: { allowed: ['someone'] } }))).error_description).toMatch(/act\.sub/);
  });
});
