import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OAuthError } from '../../src/oauth/errors.js';
import { formatScope, intersect, isSubset, isValidScopeToken, parseScope, resolveScope } from '../../src/oauth/scope.js';

const scopeToken = fc.string({ unit: fc.constantFrom(...'abcXYZ019:._-/!#[]~'), minLength: 1, maxLength: 10 });

describe('parseScope (RFC 6749 §3.3)', () => {
  it('absent or empty -> undefined', () => {
    expect(parseScope(undefined)).toBeUndefined();
    expect(parseScope('')).toBeUndefined();
  });

  it('splits on single spaces and drops repeats, keeping order', () => {
    expect(parseScope('read write read')).toEqual(['read', 'write']);
  });

  it('is case-sensitive', () => {
    expect(parseScope('Read read')).toEqual(['Read', 'read']);
  });

  it('rejects malformed strings with invalid_scope', () => {
    for (const bad of ['read  write', ' read', 'read ', 'a\tb', 'a\nb', 'qu"ote', 'back\\slash', 'é', '\x7f']) {
      let err: unknown;
      try {
        parseScope(bad);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(OAuthError);
      expect((err as OAuthError).code).toBe('invalid_scope');
    }
  });

  it('round-trips any list of valid tokens', () => {
    fc.assert(fc.property(fc.uniqueArray(scopeToken, { minLength: 1, maxLength: 8 }), (tokens) => {
      expect(parseScope(formatScope(tokens))).toEqual(tokens);
    }));
  });

  it('isValidScopeToken follows the scope-token grammar', () => {
    expect(isValidScopeToken('a:b/c')).toBe(true);
    expect(isValidScopeToken('a b')).toBe(false);
    expect(isValidScopeToken('')).toBe(false);
  });
});

describe('resolveScope', () => {
  const allowed = ['read', 'write', 'admin'];

  it('grants a subset as requested', () => {
    expect(resolveScope(['write', 'read'], allowed, null)).toEqual(['write', 'read']);
  });

  it('refuses anything outside the allowed set with invalid_scope', () => {
    expect(() => resolveScope(['read', 'delete'], allowed, null)).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
    expect(() => resolveScope(['READ'], allowed, null)).toThrow(OAuthError);
  });

  it('no request -> the default scope, else all allowed', () => {
    expect(resolveScope(undefined, allowed, ['read'])).toEqual(['read']);
    expect(resolveScope(undefined, allowed, null)).toEqual(allowed);
  });

  it('a default scope is never wider than the allowed scope', () => {
    expect(resolveScope(undefined, ['read'], ['read', 'gone'])).toEqual(['read']);
  });

  it('never grants more than allowed (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(scopeToken, { maxLength: 6 }), fc.uniqueArray(scopeToken, { maxLength: 6 }), (req, allow) => {
        try {
          expect(isSubset(resolveScope(req.length ? req : undefined, allow, null), allow)).toBe(true);
        } catch (err) {
          expect((err as OAuthError).code).toBe('invalid_scope');
          expect(isSubset(req, allow)).toBe(false);
        }
      }),
    );
  });

  it('isSubset and intersect', () => {
    expect(isSubset(['a'], ['a', 'b'])).toBe(true);
    expect(isSubset(['c'], ['a', 'b'])).toBe(false);
    expect(intersect(['a', 'b', 'c'], ['c', 'a'])).toEqual(['a', 'c']);
  });
});
