import { randomBytes, generateKeyPairSync, createHmac, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { generateSigningKey, SIGNING_ALGS } from '../../src/keys/generate.js';
import { loadKey, verifyOwnJwt, type LoadedKey } from '../../src/keys/jwt.js';
import type { SigningAlg, SigningKey } from '../../src/store/types.js';
import { signJwt } from '../support/sign-jwt.js';

const master = randomBytes(32);

async function key(alg: SigningAlg): Promise<LoadedKey> {
  const k = await generateSigningKey(alg, master);
  return loadKey({ ...k, status: 'active', createdAt: 0, retiredAt: null, publishUntil: null } as SigningKey, master);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('signJwt / verifyOwnJwt', () => {
  for (const alg of SIGNING_ALGS) {
    it(`${alg}: signs tokens that jose verifies with the public JWK and that we verify ourselves`, async () => {
      const k = await key(alg);
      const t = signJwt(k, { sub: 'x', n: 1 });
      const { payload, protectedHeader } = await jwtVerify(t, createLocalJWKSet({ keys: [k.publicJwk as never] }), { typ: 'at+jwt' });
      expect(protectedHeader).toMatchObject({ alg, kid: k.kid, typ: 'at+jwt' });
      expect(payload).toMatchObject({ sub: 'x', n: 1 });
      expect(verifyOwnJwt(t, (kid) => (kid === k.kid ? k : undefined))?.payload).toEqual({ sub: 'x', n: 1 });
    });
  }

  it('rejects tampered payloads, headers and signatures', async () => {
    const k = await key('ES256');
    const lookup = (kid: string) => (kid === k.kid ? k : undefined);
    const [h, p, s] = signJwt(k, { scope: 'read' }).split('.') as [string, string, string];
    expect(verifyOwnJwt(`${h}.${b64({ scope: 'admin' })}.${s}`, lookup)).toBeUndefined();
    expect(verifyOwnJwt(`${b64({ alg: 'ES256', kid: k.kid, typ: 'JWT' })}.${p}.${s}`, lookup)).toBeUndefined();
    const sig = Buffer.from(s, 'base64url');
    sig[5]! ^= 1;
    expect(verifyOwnJwt(`${h}.${p}.${sig.toString('base64url')}`, lookup)).toBeUndefined();
    expect(verifyOwnJwt(`${h}.${p}`, lookup)).toBeUndefined();
    expect(verifyOwnJwt(`${h}.${p}.${s}.x`, lookup)).toBeUndefined();
    expect(verifyOwnJwt(`${h}.${p}.${s}=`, lookup)).toBeUndefined();
    expect(verifyOwnJwt('x'.repeat(9000), lookup)).toBeUndefined();
  });

  it('rejects alg confusion: "none", HS256 keyed with the public key, and another alg on a known kid', async () => {
    const k = await key('RS256');
    const lookup = (kid: string) => (kid === k.kid ? k : undefined);
    const claims = b64({ sub: 'attacker' });
    expect(verifyOwnJwt(`${b64({ alg: 'none', kid: k.kid })}.${claims}.`, lookup)).toBeUndefined();
    expect(verifyOwnJwt(`${b64({ alg: 'none', kid: k.kid })}.${claims}.AA`, lookup)).toBeUndefined();
    const hsHeader = b64({ alg: 'HS256', kid: k.kid, typ: 'at+jwt' });
    const pem = k.publicKey.export({ format: 'pem', type: 'spki' });
    const mac = createHmac('sha256', pem).update(`${hsHeader}.${claims}`).digest('base64url');
    expect(verifyOwnJwt(`${hsHeader}.${claims}.${mac}`, lookup)).toBeUndefined();
    // A token signed by an EdDSA key but claiming the RS256 key's kid.
    const ed = await key('EdDSA');
    const forged = signJwt({ ...ed, encodedHeader: b64({ alg: 'EdDSA', kid: k.kid, typ: 'at+jwt' }) }, { sub: 'attacker' });
    expect(verifyOwnJwt(forged, lookup)).toBeUndefined();
  });

  it('rejects a signature by a key we do not hold, and unknown kids', async () => {
    const ours = await key('ES256');
    const theirs = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = signJwt({ ...ours, sign: (data) => sign('sha256', data, { key: theirs.privateKey, dsaEncoding: 'ieee-p1363' }) }, { sub: 'x' });
    expect(verifyOwnJwt(forged, (kid) => (kid === ours.kid ? ours : undefined))).toBeUndefined();
    expect(verifyOwnJwt(signJwt(ours, { sub: 'x' }), () => undefined)).toBeUndefined();
  });

  it('rejects non-object payloads and garbage JSON', async () => {
    const k = await key('EdDSA');
    const lookup = (kid: string) => (kid === k.kid ? k : undefined);
    for (const body of ['[1]', '"s"', 'null', '{bad']) {
      // Correctly signed by our key, so only the payload check can reject it.
      const input = `${k.encodedHeader}.${Buffer.from(body).toString('base64url')}`;
      const sig = sign(null, Buffer.from(input), k.privateKey).toString('base64url');
      expect(verifyOwnJwt(`${input}.${sig}`, lookup), body).toBeUndefined();
    }
  });
});
