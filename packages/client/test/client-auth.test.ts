import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { basic } from '../../../test/support/server.js';
import { basicAuthorization } from '../src/encoding.js';
import { JWT_BEARER_ASSERTION } from '../src/client-auth.js';
import { TokenClient } from '../src/index.js';
import { loopback, type LoopbackServer } from './support.js';

describe('client_secret_basic encoding (RFC 6749 §2.3.1)', () => {
  it('matches the server-side reference for awkward ids and secrets', () => {
    for (const [id, secret] of [
      ['plain', 'secret-123'],
      ['a:b', 'p@ss w%rd:+&='],
      ['ünï', 'ключ 🗝'],
    ] as const) {
      expect(basicAuthorization(id, secret)).toBe(basic(id, secret));
    }
  });
});

describe('private_key_jwt (RFC 7523)', () => {
  let peer: LoopbackServer;
  beforeAll(async () => {
    peer = await loopback((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 60 }));
    });
  });
  afterAll(async () => {
    await peer.close();
  });

  it('sends a fresh, short-lived assertion with iss = sub = client_id and aud = the token endpoint', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const endpoint = `${peer.url}/oauth/token`;
    const c = new TokenClient({ tokenEndpoint: endpoint, clientId: 'signer', privateKey, privateKeyId: 'k1' });
    await c.clientCredentials({ scope: 'read' });
    await c.clientCredentials({ scope: 'read' });
    const forms = peer.requests.map((r) => new URLSearchParams(r.body));
    expect(peer.requests[0]!.headers.authorization).toBeUndefined();
    const jtis = new Set<string>();
    for (const form of forms) {
      expect(form.get('client_assertion_type')).toBe(JWT_BEARER_ASSERTION);
      expect(form.get('client_id')).toBe('signer');
      const { payload, protectedHeader } = await jwtVerify(form.get('client_assertion')!, publicKey, { issuer: 'signer', subject: 'signer', audience: endpoint });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'k1' });
      expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
      jtis.add(payload.jti!);
    }
    expect(jtis.size).toBe(2);
  });

  it('takes a private JWK and its alg', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), alg: 'EdDSA', kid: 'ed' };
    const before = peer.requests.length;
    await new TokenClient({ tokenEndpoint: `${peer.url}/oauth/token`, clientId: 'signer', privateKey: jwk }).clientCredentials();
    const form = new URLSearchParams(peer.requests[before]!.body);
    const { protectedHeader } = await jwtVerify(form.get('client_assertion')!, publicKey, { audience: `${peer.url}/oauth/token` });
    expect(protectedHeader.kid).toBe('ed');
  });

  it('refuses a configuration that cannot authenticate', () => {
    expect(() => new TokenClient({ tokenEndpoint: 'http://x/t', clientId: 'c', authMethod: 'client_secret_post' })).toThrow(/clientSecret/);
    expect(() => new TokenClient({ tokenEndpoint: 'http://x/t', clientId: 'c', authMethod: 'private_key_jwt' })).toThrow(/privateKey/);
  });
});
