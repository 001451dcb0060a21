import { generateKeyPairSync, sign, createHash, type KeyObject } from 'node:crypto';
import { hashToken } from '../../src/crypto/token-hash.js';
import { randomId } from '../../src/crypto/random.js';
import { stringToSign } from '../../src/oauth/client-auth/request-signature/index.js';
import type { TestServer } from './server.js';

/** The API keys and org of the recorded Cobo exchanges (test/fixtures/wire/cobo-*.json). */
export const FIXTURE_ED25519_KEY = '701ff39b68f6d9574f96147608c33678d73d0e04460da0d625b799a48d54cb19';
export const FIXTURE_SECP256K1_KEY = '0296e1ee92d64951da68860bb0f0a3ae65cd27b8ad025705d4f691581e9eb97f80';
export const FIXTURE_ORG = 'e3986401-4aec-480a-973d-e775a4518413';
export const COBO_APP = 'sdkcompat-cobo-app';

/** An import document with a Cobo app (request-signature auth, org_implicit + refresh_token) installed in an org. */
export function coboDoc(opts: { clientId?: string; orgId?: string; keys?: string[]; clientScope?: string; installScope?: string } = {}): Record<string, unknown> {
  const clientId = opts.clientId ?? COBO_APP;
  const orgId = opts.orgId ?? FIXTURE_ORG;
  return {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: 'request_signature',
        grant_types: ['org_implicit', 'refresh_token'],
        scope: opts.clientScope ?? 'wallet:read wallet:write',
        api_keys: opts.keys ?? [FIXTURE_ED25519_KEY, FIXTURE_SECP256K1_KEY],
      },
    ],
    organizations: [{ id: orgId, name: 'SDK compat org' }],
    installations: [{ org_id: orgId, client_id: clientId, scope: opts.installScope ?? 'wallet:read' }],
  };
}

/**
 * Puts a refresh token the SDK holds into the store, as if Tessera had issued it (the store keeps only its hash).
 * The recorded refresh requests are signed over their body, so their exact token value must be a live one.
 */
export async function plantRefreshToken(s: TestServer, token: string, clientId: string, orgId: string): Promise<void> {
  const inst = await s.ctx.store.installations.find(orgId, clientId);
  if (!inst) throw new Error(`no installation of ${clientId} in ${orgId}`);
  const now = s.ctx.now();
  await s.ctx.store.refreshTokens.createFamily(
    { familyId: randomId(16), clientId, subject: orgId, userId: null, orgId, installationId: inst.id, scope: inst.scope, claims: null, createdAt: now, expiresAt: now + 86400 },
    { hash: hashToken(token), scope: inst.scope, createdAt: now, expiresAt: now + 86400 },
  );
}

/** A Cobo API key pair made for a test, signing exactly as the SDK does. */
export interface TestApiKey {
  kind: 'ed25519' | 'secp256k1';
  publicHex: string;
  /** The private key as Cobo's SDK takes it (`apiClient.setPrivateKey(hex, curve)`): the Ed25519 seed or the secp256k1 scalar. */
  privateHex: string;
  sign(parts: { method: string; path: string; nonce: string; query?: string; body?: string }): string;
}

function ecCompressed(pub: KeyObject): string {
  const jwk = pub.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return ((y[y.length - 1]! & 1) === 1 ? '03' : '02') + x.toString('hex');
}

export function makeApiKey(kind: 'ed25519' | 'secp256k1'): TestApiKey {
  const pair = kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  const publicHex =
    kind === 'ed25519' ? (pair.publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32).toString('hex') : ecCompressed(pair.publicKey);
  const privateHex =
    kind === 'ed25519'
      ? (pair.privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(-32).toString('hex')
      : Buffer.from(pair.privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('hex').padStart(64, '0');
  return {
    kind,
    publicHex,
    privateHex,
    sign({ method, path, nonce, query = '', body = '' }) {
      const str = stringToSign({ method, path, nonce, rawQuery: query, rawBody: body });
      if (str === null) throw new Error('cannot canonicalise');
      const inner = createHash('sha256').update(str, 'utf8').digest();
      const outer = createHash('sha256').update(inner).digest();
      if (kind === 'ed25519') return sign(null, outer, pair.privateKey).toString('hex');
      // ECDSA over the outer digest as the message hash; node hashes the inner digest once more to reach it.
      // The SDK sends low-S (canonical) signatures; node may produce either, so normalise.
      return lowS(sign('sha256', inner, pair.privateKey));
    },
  };
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function derInt(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

function lowS(der: Buffer): string {
  const rLen = der[3]!;
  const r = BigInt('0x' + der.subarray(4, 4 + rLen).toString('hex'));
  const sLen = der[5 + rLen]!;
  let s = BigInt('0x' + der.subarray(6 + rLen, 6 + rLen + sLen).toString('hex'));
  if (s > N >> 1n) s = N - s;
  const body = Buffer.concat([derInt(r), derInt(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('hex');
}

/** Signed Cobo-style request headers for `fetch`. */
export function signedHeaders(key: TestApiKey, parts: { method: string; path: string; query?: string; body?: string; nonce?: string }): Record<string, string> {
  const nonce = parts.nonce ?? String(Date.now());
  return { 'BIZ-API-KEY': key.publicHex, 'BIZ-API-NONCE': nonce, 'BIZ-API-SIGNATURE': key.sign({ ...parts, nonce }) };
}
