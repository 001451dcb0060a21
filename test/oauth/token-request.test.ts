import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OAuthError } from '../../src/oauth/errors.js';
import { CREDENTIAL_PARAMETERS, formDecode, parseBasicAuthorization, parseForm, pickParameters, safeName } from '../../src/oauth/token-request.js';

/** RFC 6749 §2.3.1 encoding of a Basic credential: form-urlencode each part, then base64. */
function encodeBasic(id: string, secret: string, spaceAsPlus = true): string {
  const enc = (x: string) => (spaceAsPlus ? encodeURIComponent(x).replace(/%20/g, '+') : encodeURIComponent(x));
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`, 'utf8').toString('base64');
}

function encodeForm(pairs: ReadonlyArray<readonly [string, string]>): string {
  return new URLSearchParams(pairs as Array<[string, string]>).toString();
}

/** Throws only OAuthError with the given code and status (invalid_request 400 unless told), or nothing. */
function onlyOAuthErrors(fn: () => unknown, code = 'invalid_request', status = 400): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthError);
    expect((err as OAuthError).code).toBe(code);
    expect((err as OAuthError).status).toBe(status);
  }
}

/** A failed Basic credential: RFC 6749 §5.2 401 invalid_client with the Basic challenge. */
function onlyInvalidClient(fn: () => unknown): void {
  onlyOAuthErrors(fn, 'invalid_client', 401);
  try {
    fn();
  } catch (err) {
    expect((err as OAuthError).headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
  }
}

// Well-formed unicode strings (no lone surrogates: they cannot be UTF-8 encoded and so never arrive on the wire).
const unicode = (opts: { minLength?: number; maxLength?: number } = {}) => fc.string({ unit: 'grapheme', ...opts });

describe('parseForm', () => {
  it('lets only resource and audience repeat (RFC 8707 §2, RFC 8693 §2.1), their values kept in order', () => {
    const p = parseForm('resource=https%3A%2F%2Fa.example%2F&audience=x&resource=https%3A%2F%2Fb.example%2F&audience=&audience=y');
    expect(p.get('resource')).toBe('https://a.example/ https://b.example/');
    expect(p.get('audience')).toBe('x y');
    expect(() => parseForm('scope=a&scope=b')).toThrow('The scope parameter is repeated');
    // A space inside one resource value would read back as two resources: refused (no URI holds a space).
    expect(() => parseForm('resource=https%3A%2F%2Fa.example%2F%20https%3A%2F%2Fb.example%2F')).toThrow(/absolute URI/);
    expect(() => parseForm('grant_type=a&grant_type=a')).toThrow(OAuthError);
  });

  it('decodes + as space and percent escapes', () => {
    expect(Object.fromEntries(parseForm('a=b+c&d=%C3%A9%2B&e'))).toEqual({ a: 'b c', d: 'é+' });
  });

  it('treats empty values as omitted (RFC 6749 §3.1) but still counts them as present for duplicates', () => {
    expect(parseForm('a=&b=1').has('a')).toBe(false);
    expect(() => parseForm('a=&a=1')).toThrow(OAuthError);
  });

  it('accepts an empty body and ignores empty pairs', () => {
    expect(parseForm('').size).toBe(0);
    expect(Object.fromEntries(parseForm('&&a=1&&'))).toEqual({ a: '1' });
  });

  it('rejects repeated names, malformed escapes and nameless pairs', () => {
    for (const bad of ['a=1&a=2', 'a=1&%61=2', 'a=%', 'a=%G1', '%zz=1', '=x', 'a=%E0%A4%A']) {
      expect(() => parseForm(bad), bad).toThrow(OAuthError);
    }
  });

  it('keeps "=" inside values', () => {
    expect(parseForm('a=b=c').get('a')).toBe('b=c');
  });

  it('round-trips arbitrary unicode parameters', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(unicode({ minLength: 1, maxLength: 20 }), unicode({ maxLength: 40 })), { selector: ([k]) => k, maxLength: 8 }), (pairs) => {
        const parsed = parseForm(encodeForm(pairs));
        expect(Object.fromEntries(parsed)).toEqual(Object.fromEntries(pairs.filter(([, v]) => v !== '')));
      }),
    );
  });

  it('always rejects a duplicated name, whatever the values and the position', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(unicode({ minLength: 1, maxLength: 12 }), unicode({ maxLength: 12 })), { selector: ([k]) => k, minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        unicode({ maxLength: 12 }),
        (pairs, pick, at, value) => {
          const dup = pairs[pick % pairs.length]![0];
          const all = [...pairs];
          all.splice(at % (all.length + 1), 0, [dup, value]);
          expect(() => parseForm(encodeForm(all))).toThrow(OAuthError);
        },
      ),
    );
  });

  it('never throws anything but OAuthError invalid_request', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (body) => onlyOAuthErrors(() => parseForm(body))));
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '=', '&', '%', '+', '2', 'F', 'z', 'é', '%C3', '%A9', '%E0'), { maxLength: 30 }), (parts) => onlyOAuthErrors(() => parseForm(parts.join('')))),
    );
  });
});

describe('formDecode', () => {
  it('maps + to space and throws invalid_request on bad escapes', () => {
    expect(formDecode('a+b%2Bc')).toBe('a b+c');
    expect(() => formDecode('%')).toThrow(OAuthError);
  });
});

describe('parseBasicAuthorization', () => {
  it('is undefined without a header or for another scheme', () => {
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
    expect(parseBasicAuthorization('Bearer abc')).toBeUndefined();
    expect(parseBasicAuthorization('Basically abc')).toBeUndefined();
  });

  it('decodes the RFC 6749 §2.3.1 form-urlencoding inside the credential', () => {
    const creds = parseBasicAuthorization(encodeBasic('a:b%c+d e', 's:e%c+r e t'));
    expect(creds?.clientId).toBe('a:b%c+d e');
    expect(creds?.clientSecret).toBe('s:e%c+r e t');
  });

  it('keeps a secret as sent when decoding changed it, for clients that do not form-urlencode', () => {
    const b = (text: string) => 'Basic ' + Buffer.from(text).toString('base64');
    expect(parseBasicAuthorization(b('id:a+b%41c'))).toEqual({ clientId: 'id', clientSecret: 'a bAc', secretAsSent: 'a+b%41c' });
    // Not valid form-urlencoding: only the raw reading exists.
    expect(parseBasicAuthorization(b('id:50%off'))).toEqual({ clientId: 'id', clientSecret: '50%off' });
    expect(parseBasicAuthorization(b('id:%'))).toEqual({ clientId: 'id', clientSecret: '%' });
    expect(parseBasicAuthorization(b('%zz:s'))).toEqual({ clientId: '%zz', clientSecret: 's' });
    // Nothing to decode: no second reading.
    expect(parseBasicAuthorization(b('id:plain'))).toEqual({ clientId: 'id', clientSecret: 'plain' });
  });

  it('splits on the first colon (an encoded id never contains a raw one)', () => {
    expect(parseBasicAuthorization('Basic ' + Buffer.from('id:se:cret').toString('base64'))).toEqual({ clientId: 'id', clientSecret: 'se:cret' });
  });

  it('accepts any case of the scheme and extra spaces', () => {
    expect(parseBasicAuthorization('basic   ' + Buffer.from('id:s').toString('base64') + ' ')).toEqual({ clientId: 'id', clientSecret: 's' });
  });

  it('rejects malformed credentials with 401 invalid_client and the Basic challenge (RFC 6749 §5.2)', () => {
    for (const h of ['Basic', 'Basic ', 'Basic !!!', 'Basic !!!!', 'Basic abc', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Basic ' + Buffer.from(':secret').toString('base64'), 'Basic YQ==YQ==']) {
      expect(() => parseBasicAuthorization(h), h).toThrow(OAuthError);
      onlyInvalidClient(() => parseBasicAuthorization(h));
    }
  });

  it('never echoes the credential in the description', () => {
    const secret = 'sup3r-s3cret%zz';
    for (const h of ['Basic ' + Buffer.from(secret).toString('base64'), `Basic ${secret}`]) {
      const err = (() => {
        try {
          parseBasicAuthorization(h);
        } catch (e) {
          return e as OAuthError;
        }
        throw new Error('expected a refusal');
      })();
      expect(err.description).not.toContain('sup3r');
      expect(err.description).not.toContain(h.slice(6));
    }
  });

  it('round-trips arbitrary unicode ids and secrets (both space encodings)', () => {
    fc.assert(
      fc.property(unicode({ minLength: 1, maxLength: 40 }), unicode({ maxLength: 60 }), fc.boolean(), (id, secret, plus) => {
        const creds = parseBasicAuthorization(encodeBasic(id, secret, plus));
        expect([creds?.clientId, creds?.clientSecret]).toEqual([id, secret]);
      }),
    );
  });

  it('decodes the credential bytes as UTF-8, ASCII or not, exactly as a Buffer does', () => {
    // Raw (not form-encoded) text, so the comparison is about the base64 and UTF-8 decoding alone.
    const plain = (s: string) => !/[%+:]/.test(s);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.uint8Array({ maxLength: 60 }), (id, secret) => {
        const bytes = Buffer.concat([Buffer.from(id), Buffer.from(':'), Buffer.from(secret)]);
        const [wantId, wantSecret] = [Buffer.from(id).toString('utf8'), Buffer.from(secret).toString('utf8')];
        fc.pre(plain(wantId) && plain(wantSecret) && wantId !== '' && !id.includes(0x3a));
        expect(parseBasicAuthorization('Basic ' + bytes.toString('base64'))).toEqual({ clientId: wantId, clientSecret: wantSecret });
      }),
    );
  });

  it('never throws anything but OAuthError invalid_client (401, with the Basic challenge)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => onlyInvalidClient(() => parseBasicAuthorization('Basic ' + Buffer.from(bytes).toString('base64')))));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => onlyInvalidClient(() => parseBasicAuthorization('Basic ' + s))));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => onlyInvalidClient(() => parseBasicAuthorization(s))));
  });
});

describe('pickParameters and names', () => {
  it('keeps only the declared parameters', () => {
    const out = pickParameters(new Map([['grant_type', 'x'], ['scope', 'a'], ['evil', '1']]), new Set(['grant_type', 'scope']));
    expect([...out.keys()]).toEqual(['grant_type', 'scope']);
  });

  it('safeName echoes only short printable names', () => {
    expect(safeName('scope')).toBe('scope');
    expect(safeName('<script>')).toBe('a');
    expect(safeName('x'.repeat(65))).toBe('a');
  });

  it('lists the credential parameters that must never come in a URL', () => {
    for (const p of ['client_id', 'client_secret', 'password', 'refresh_token', 'client_assertion']) expect(CREDENTIAL_PARAMETERS.has(p)).toBe(true);
  });
});
