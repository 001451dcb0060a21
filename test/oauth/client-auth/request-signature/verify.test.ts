import { createPublicKey, ECDH, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkNonce,
  innerDigest,
  parseApiPublicKey,
  signatureDigest,
  stringToSign,
  verifyRequestSignature,
  type ParsedApiKey,
  type SignedRequestParts,
} from '../../../../src/oauth/client-auth/request-signature/index.js';

interface CoboFixture {
  case: string;
  request: { method: string; path: string; query: string; body: string; headers: [string, string][] } | null;
  signature?: { curve: string; str_to_sign: string; expect_valid: boolean };
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const wireDir = new URL('../../../fixtures/wire/', import.meta.url);
const valid = readdirSync(wireDir)
  .filter((name) => name.startsWith('cobo-') && name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(new URL(name, wireDir), 'utf8')) as CoboFixture)
  .filter((f) => f.request !== null && f.signature?.expect_valid === true);

function header(f: CoboFixture, name: string): string {
  const found = f.request?.headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
  if (found === undefined) throw new Error(`${f.case}: no ${name}`);
  return found[1];
}

function partsOf(f: CoboFixture): SignedRequestParts {
  const req = f.request!;
  return { method: req.method, path: req.path, nonce: header(f, 'BIZ-API-NONCE'), rawQuery: req.query, rawBody: req.body };
}

function mustParse(hex: string): ParsedApiKey {
  const key = parseApiPublicKey(hex);
  if (key === null) throw new Error(`key did not parse: ${hex}`);
  return key;
}

/** The server-side check end to end, as a route would run it. */
function accepts(parts: SignedRequestParts, keyHex: string, signatureHex: string): boolean {
  const key = parseApiPublicKey(keyHex);
  const str = stringToSign(parts);
  if (key === null || str === null) return false;
  return verifyRequestSignature(key, signatureDigest(str), innerDigest(str), signatureHex);
}

function derInt(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  const body = (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}

function derSig(r: bigint, s: bigint): string {
  const seq = Buffer.concat([derInt(r), derInt(s)]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]).toString('hex');
}

function parseDerSig(hex: string): { r: bigint; s: bigint } {
  const der = Buffer.from(hex, 'hex');
  const rLen = der[3]!;
  const r = BigInt(`0x${der.subarray(4, 4 + rLen).toString('hex')}`);
  const sLen = der[5 + rLen]!;
  const s = BigInt(`0x${der.subarray(6 + rLen, 6 + rLen + sLen).toString('hex')}`);
  return { r, s };
}

/** Ed25519Signer.getPublicKey: the raw 32 bytes in hex. */
const ed25519Hex = (pub: KeyObject): string => pub.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');

/** Secp256k1Signer.getPublicKey: elliptic's getPublic(true, 'hex'), the compressed point. */
function secp256k1CompressedHex(pub: KeyObject): string {
  const point = pub.export({ format: 'der', type: 'spki' }).subarray(-65);
  const x = point.subarray(1, 33);
  const yOdd = (point[64] ?? 0) & 1;
  return `${yOdd ? '03' : '02'}${x.toString('hex')}`;
}

/** The SDK's signers: tweetnacl over the 32 digest bytes, or elliptic `sign(digest, { canonical: true }).toDER()`. */
function sdkSign(kind: 'ed25519' | 'secp256k1', priv: KeyObject, str: string): string {
  if (kind === 'ed25519') return sign(null, signatureDigest(str), priv).toString('hex');
  const rs = sign('sha256', innerDigest(str), { key: priv, dsaEncoding: 'ieee-p1363' });
  const r = BigInt(`0x${rs.subarray(0, 32).toString('hex')}`);
  const s = BigInt(`0x${rs.subarray(32).toString('hex')}`);
  return derSig(r, s > N >> 1n ? N - s : s);
}

function freshKey(kind: 'ed25519' | 'secp256k1'): { priv: KeyObject; hex: string } {
  if (kind === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return { priv: privateKey, hex: ed25519Hex(publicKey) };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  return { priv: privateKey, hex: secp256k1CompressedHex(publicKey) };
}

function flipByte(hex: string, index: number): string {
  const bytes = Buffer.from(hex, 'hex');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('hex');
}

/** One value changed at a time, the rest of the wire query intact. */
function queryVariants(rawQuery: string): string[] {
  const segments = rawQuery.split('&');
  return segments
    .map((segment, i) => {
      const [key = '', value = ''] = segment.split('=');
      if (key === '_') return null;
      const changed = [...segments];
      changed[i] = `${key}=${value.slice(0, -1)}${value.endsWith('0') ? '1' : '0'}`;
      return changed.join('&');
    })
    .filter((q): q is string => q !== null);
}

describe('fixtures verify with their own key and signature', () => {
  it('covers both curves', () => {
    expect(new Set(valid.map((f) => f.signature!.curve))).toEqual(new Set(['ED25519', 'SECP256K1']));
  });

  it.each(valid.map((f) => [f.case, f] as const))('%s', (_name, f) => {
    const key = mustParse(header(f, 'BIZ-API-KEY'));
    expect(key.kind).toBe(f.signature!.curve.toLowerCase());
    expect(accepts(partsOf(f), header(f, 'BIZ-API-KEY'), header(f, 'BIZ-API-SIGNATURE'))).toBe(true);
  });
});

describe('changing any signed part breaks the signature', () => {
  const secpKey = freshKey('secp256k1').hex;
  const edKey = freshKey('ed25519').hex;

  it.each(valid.map((f) => [f.case, f] as const))('%s', (_name, f) => {
    const parts = partsOf(f);
    const keyHex = header(f, 'BIZ-API-KEY');
    const sig = header(f, 'BIZ-API-SIGNATURE');
    const rejects = (p: Partial<SignedRequestParts>, k = keyHex, s = sig): void => {
      expect(accepts({ ...parts, ...p }, k, s), JSON.stringify({ p, k, s })).toBe(false);
    };

    rejects({ method: parts.method === 'GET' ? 'POST' : 'GET' });
    rejects({ method: parts.method.toLowerCase() });
    rejects({ path: parts.path.startsWith('/v2') ? parts.path.slice(3) : `/v2${parts.path}` });
    rejects({ path: `${parts.path}/` });
    rejects({ nonce: String(Number(parts.nonce) + 1) });
    for (const rawQuery of queryVariants(parts.rawQuery)) rejects({ rawQuery });
    rejects({ rawQuery: parts.rawQuery === '' ? 'a=1' : `${parts.rawQuery}&a=1` });
    const body = parts.rawBody as string;
    rejects({ rawBody: body === '' ? ' ' : `${body.slice(0, -2)}X${body.slice(-1)}` });
    rejects({}, keyHex.length === 64 ? edKey : secpKey);
    const sigBytes = Buffer.from(sig, 'hex').length;
    for (let i = 0; i < sigBytes; i += 1) rejects({}, keyHex, flipByte(sig, i));
  });

  it('leaves the trailing _ cache-buster unsigned, but only when it is last', () => {
    const f = valid.find((x) => x.case === 'cobo-getToken-cache-false')!;
    const parts = partsOf(f);
    const key = header(f, 'BIZ-API-KEY');
    const sig = header(f, 'BIZ-API-SIGNATURE');
    expect(accepts({ ...parts, rawQuery: parts.rawQuery.replace(/_=\d+$/, '_=1') }, key, sig)).toBe(true);
    const moved = parts.rawQuery.replace(/^(.*)&(_=\d+)$/, '$2&$1');
    expect(accepts({ ...parts, rawQuery: moved }, key, sig)).toBe(false);
  });

  it('accepts + for a space in the wire query, as the handler reads it', () => {
    const f = valid.find((x) => x.case === 'cobo-getToken-special-chars')!;
    const parts = partsOf(f);
    const plus = { ...parts, rawQuery: parts.rawQuery.replace('%20', '+') };
    expect(accepts(plus, header(f, 'BIZ-API-KEY'), header(f, 'BIZ-API-SIGNATURE'))).toBe(true);
    const literalPlus = { ...parts, rawQuery: parts.rawQuery.replace('%2B', '+') };
    expect(accepts(literalPlus, header(f, 'BIZ-API-KEY'), header(f, 'BIZ-API-SIGNATURE'))).toBe(false);
  });
});

describe('secp256k1 signature malleability', () => {
  const f = valid.find((x) => x.case === 'cobo-getToken-secp256k1')!;
  const key = mustParse(header(f, 'BIZ-API-KEY'));
  const str = f.signature!.str_to_sign;
  const { r, s } = parseDerSig(header(f, 'BIZ-API-SIGNATURE'));

  it('the fixture signature is low-S and round-trips through the DER helpers', () => {
    expect(s <= N >> 1n).toBe(true);
    expect(derSig(r, s)).toBe(header(f, 'BIZ-API-SIGNATURE'));
  });

  it('rejects the high-S twin that OpenSSL alone would accept', () => {
    const high = derSig(r, N - s);
    expect(verify('sha256', innerDigest(str), key.keyObject, Buffer.from(high, 'hex'))).toBe(true);
    expect(verifyRequestSignature(key, signatureDigest(str), innerDigest(str), high)).toBe(false);
  });

  it('rejects out-of-range and non-minimal DER without throwing', () => {
    const digests = [signatureDigest(str), innerDigest(str)] as const;
    const good = header(f, 'BIZ-API-SIGNATURE');
    const bad = [
      derSig(0n, s),
      derSig(r, 0n),
      derSig(N, s),
      derSig(r + N, s),
      `${good}00`,
      good.replace(/^3045/, '3046'),
      good.replace(/^30450221/, '30460222'),
      `3046022200${good.slice(8)}`,
      '3006020101020101',
      '30',
      '',
      'zz',
      `${good.slice(0, -1)}`,
      `${good.slice(0, -2)}zz`,
    ];
    for (const sig of bad) {
      expect(() => verifyRequestSignature(key, ...digests, sig), sig).not.toThrow();
      expect(verifyRequestSignature(key, ...digests, sig), sig).toBe(false);
    }
  });
});

describe('Ed25519 signature and key edge cases', () => {
  const f = valid.find((x) => x.case === 'cobo-getToken-ed25519')!;
  const key = mustParse(header(f, 'BIZ-API-KEY'));
  const str = f.signature!.str_to_sign;
  const sig = header(f, 'BIZ-API-SIGNATURE');

  it('rejects S + L (OpenSSL enforces S < L)', () => {
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const sBytes = Buffer.from(sig.slice(64), 'hex').reverse();
    const sPlusL = BigInt(`0x${sBytes.toString('hex')}`) + L;
    const encoded = Buffer.from(sPlusL.toString(16).padStart(64, '0'), 'hex').reverse().toString('hex');
    expect(verifyRequestSignature(key, signatureDigest(str), innerDigest(str), sig.slice(0, 64) + encoded)).toBe(false);
  });

  it('rejects wrong lengths and non-hex without throwing', () => {
    for (const bad of ['', sig.slice(0, 126), `${sig}00`, `${sig.slice(0, 127)}g`, ` ${sig.slice(1)}`, `${sig.slice(0, 127)}`]) {
      expect(verifyRequestSignature(key, signatureDigest(str), innerDigest(str), bad), bad).toBe(false);
    }
  });

  it('accepts upper-case hex for key and signature (same bytes)', () => {
    expect(accepts(partsOf(f), header(f, 'BIZ-API-KEY').toUpperCase(), sig.toUpperCase())).toBe(true);
    expect(mustParse(header(f, 'BIZ-API-KEY').toUpperCase()).normalizedHex).toBe(header(f, 'BIZ-API-KEY'));
  });

  it('refuses mismatched inner/outer digests', () => {
    const other = 'GET|/oauth/token|1|x=1|';
    expect(verifyRequestSignature(key, signatureDigest(str), innerDigest(other), sig)).toBe(false);
    expect(verifyRequestSignature(key, signatureDigest(str).subarray(1), innerDigest(str), sig)).toBe(false);
  });

  it('refuses small-order keys, which OpenSSL accepts and which admit a universal forgery', () => {
    const identity = `01${'00'.repeat(31)}`;
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(identity, 'hex')]);
    const raw = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const forgery = Buffer.from(`01${'00'.repeat(63)}`, 'hex');
    expect(verify(null, signatureDigest('anything'), raw, forgery)).toBe(true);
    expect(parseApiPublicKey(identity)).toBeNull();
  });
});

describe('parseApiPublicKey', () => {
  it('builds keys of the right type from both fixture keys', () => {
    const ed = mustParse('701ff39b68f6d9574f96147608c33678d73d0e04460da0d625b799a48d54cb19');
    expect(ed.kind).toBe('ed25519');
    expect(ed.keyObject.asymmetricKeyType).toBe('ed25519');
    const secp = mustParse('0296e1ee92d64951da68860bb0f0a3ae65cd27b8ad025705d4f691581e9eb97f80');
    expect(secp.kind).toBe('secp256k1');
    expect(secp.keyObject.asymmetricKeyDetails).toEqual({ namedCurve: 'secp256k1' });
  });

  it('returns null, never throws, for anything else', () => {
    const secpX = '96e1ee92d64951da68860bb0f0a3ae65cd27b8ad025705d4f691581e9eb97f80';
    const bad: unknown[] = [
      '',
      'zz'.repeat(32),
      '701ff39b68f6d9574f96147608c33678d73d0e04460da0d625b799a48d54cb1',
      '701ff39b68f6d9574f96147608c33678d73d0e04460da0d625b799a48d54cb1900',
      ' 701ff39b68f6d9574f96147608c33678d73d0e04460da0d625b799a48d54cb19',
      '0x701ff39b68f6d9574f96147608c33678d73d0e04460da0d625b799a48d54cb19',
      `04${secpX}`,
      `05${secpX}`,
      `02${'00'.repeat(32)}`,
      `02${'ff'.repeat(32)}`,
      `02${'00'.repeat(31)}05`,
      `02${secpX}00`,
      `02${'00'.repeat(31)}\u212A`,
      `02${'00'.repeat(31)}`,
      null,
      undefined,
      42,
    ];
    for (const hex of bad) {
      expect(() => parseApiPublicKey(hex as string)).not.toThrow();
      expect(parseApiPublicKey(hex as string), String(hex)).toBeNull();
    }
  });

  it('refuses all eight small-order Ed25519 points, off-curve y and non-canonical encodings', () => {
    const rejected = [
      `01${'00'.repeat(31)}`,
      `ec${'ff'.repeat(30)}7f`,
      '00'.repeat(32),
      `${'00'.repeat(31)}80`,
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
      '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
      `02${'00'.repeat(31)}`,
      `01${'00'.repeat(30)}80`,
      `ed${'ff'.repeat(30)}7f`,
      `ee${'ff'.repeat(30)}7f`,
      `${'ff'.repeat(32)}`,
    ];
    for (const hex of rejected) expect(parseApiPublicKey(hex), hex).toBeNull();
    expect(parseApiPublicKey(`03${'00'.repeat(31)}`)?.kind).toBe('ed25519');
  });
});

describe('fresh keys round-trip with the SDK signing algorithm', () => {
  const parts: SignedRequestParts = {
    method: 'GET',
    path: '/v2/oauth/token',
    nonce: '1700000000000',
    rawQuery: 'client_id=app%20id%21&org_id=org%2F%C3%BC%2B1&grant_type=org_implicit&_=1700000000001',
    rawBody: '',
  };
  const str = stringToSign(parts)!;

  it.each(['ed25519', 'secp256k1'] as const)('%s', (kind) => {
    for (let i = 0; i < 8; i += 1) {
      const { priv, hex } = freshKey(kind);
      const key = mustParse(hex);
      expect(key.kind).toBe(kind);
      const sig = sdkSign(kind, priv, str);
      expect(accepts(parts, hex, sig)).toBe(true);
      expect(accepts({ ...parts, nonce: '1700000000001' }, hex, sig)).toBe(false);
    }
  });

  it('compressed secp256k1 export matches node ECDH and decompresses to the same key', () => {
    for (let i = 0; i < 8; i += 1) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
      const hex = secp256k1CompressedHex(publicKey);
      const uncompressed = publicKey.export({ format: 'der', type: 'spki' }).subarray(-65);
      expect(ECDH.convertKey(uncompressed, 'secp256k1', undefined, 'hex', 'compressed')).toBe(hex);
      expect(mustParse(hex).keyObject.export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
    }
  });

  it('a high-S signature from a fresh key is refused even though OpenSSL verifies it', () => {
    const { priv, hex } = freshKey('secp256k1');
    const { r, s } = parseDerSig(sdkSign('secp256k1', priv, str));
    const high = derSig(r, N - s);
    const key = mustParse(hex);
    expect(verify('sha256', innerDigest(str), key.keyObject, Buffer.from(high, 'hex'))).toBe(true);
    expect(accepts(parts, hex, high)).toBe(false);
  });

  it('a signature for one curve never verifies under the other', () => {
    const ed = freshKey('ed25519');
    const secp = freshKey('secp256k1');
    expect(accepts(parts, secp.hex, sdkSign('ed25519', ed.priv, str))).toBe(false);
    expect(accepts(parts, ed.hex, sdkSign('secp256k1', secp.priv, str))).toBe(false);
  });
});

describe('checkNonce', () => {
  const now = 1_700_000_000_000;
  const window = 300_000;

  it('accepts a fresh decimal millisecond timestamp, either side of now', () => {
    expect(checkNonce(String(now), now, window)).toBe('ok');
    expect(checkNonce(String(now - window), now, window)).toBe('ok');
    expect(checkNonce(String(now + window), now, window)).toBe('ok');
  });

  it('reports stale outside the window', () => {
    expect(checkNonce(String(now - window - 1), now, window)).toBe('stale');
    expect(checkNonce(String(now + window + 1), now, window)).toBe('stale');
    expect(checkNonce('1', now, window)).toBe('stale');
    expect(checkNonce('9999999999999999', now, window)).toBe('stale');
    expect(checkNonce(String(now), Number.NaN, window)).toBe('stale');
  });

  it('reports malformed for anything but 1-16 digits without a leading zero', () => {
    for (const bad of ['', '0', `0${now}`, `+${now}`, `-${now}`, `${now}.0`, '1.7e12', ` ${now}`, `${now}\n`, '12345678901234567', '0x1', '１７００', 'NaN']) {
      expect(checkNonce(bad, now, window), JSON.stringify(bad)).toBe('malformed');
    }
  });
});
