import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../src/dpop.js';

// RFC 9110 §5.6.2 token characters, for schemes and parameter names.
const tchar = fc.constantFrom(...("!#$%&'*+.^_`|~-" + '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ').split(''));
const token = fc.array(tchar, { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
// A quoted-string's content: printable ASCII, commas, '=' and quotes or backslashes (escaped when rendered).
const value = fc.array(fc.constantFrom(...' ,=abcXYZ019"\\-_.'.split('')), { maxLength: 16 }).map((cs) => cs.join(''));
const quote = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;

const challenge = fc.record({
  scheme: token,
  params: fc.uniqueArray(fc.tuple(token, value), { maxLength: 4, selector: ([name]) => name.toLowerCase() }),
});

describe('parseChallenges (RFC 9110 §11.6.1 WWW-Authenticate)', () => {
  it('reads back every challenge and parameter of a rendered header, quoted commas and escapes included', () => {
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), (challenges) => {
        const header = challenges.map((c) => [c.scheme, c.params.map(([n, v]) => `${n}=${quote(v)}`).join(', ')].filter(Boolean).join(' ')).join(', ');
        const parsed = parseChallenges(header);
        expect(parsed.map((c) => c.scheme)).toEqual(challenges.map((c) => c.scheme));
        for (const [i, c] of challenges.entries()) expect(Object.fromEntries(parsed[i]!.params)).toEqual(Object.fromEntries(c.params.map(([n, v]) => [n.toLowerCase(), v])));
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => void parseChallenges(text)));
  });
});
