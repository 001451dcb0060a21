import { describe, expect, it } from 'vitest';
import { looksLikeJwt } from '../../src/oauth/own-jwt.js';

describe('looksLikeJwt', () => {
  it.each([
    ['eyJh.eyJz.c2ln', true],
    ['a.b.c', true],
    ['a.b.c.d.e', true],
    ['A'.repeat(43), false],
    ['a..c', false],
    ['.b.c', false],
    ['a.b', false],
    ['', false],
  ])('%s -> %s', (token, expected) => {
    expect(looksLikeJwt(token)).toBe(expected);
  });
});
