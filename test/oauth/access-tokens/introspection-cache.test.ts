import { describe, expect, it } from 'vitest';
import { JwtIntrospectionCache, type VerifiedJwt } from '../../../src/oauth/access-tokens/introspection-cache.js';

const entry = (token: string): VerifiedJwt => ({ token, kid: 'k', jti: 'j', clientId: 'c', userId: null, familyId: null, exp: 1, body: `{"t":"${token}"}` });
const tail = 'x'.repeat(32);

describe('JwtIntrospectionCache', () => {
  it('answers for exactly the token it holds: a token sharing its 32-character tail only misses', () => {
    const cache = new JwtIntrospectionCache();
    cache.add(entry('a.b.' + tail));
    expect(cache.get('a.b.' + tail)?.body).toBe(`{"t":"a.b.${tail}"}`);
    expect(cache.get('z.b.' + tail)).toBeUndefined();
    cache.delete('z.b.' + tail);
    expect(cache.get('a.b.' + tail)).toBeDefined();
    cache.delete('a.b.' + tail);
    expect(cache.get('a.b.' + tail)).toBeUndefined();
  });

  it('is bounded: the oldest entry leaves first', () => {
    const cache = new JwtIntrospectionCache(2);
    for (const t of ['t1', 't2', 't3']) cache.add(entry(t));
    expect(cache.size).toBe(2);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t3')).toBeDefined();
  });

  it('keeps no token whose copy would differ (a verified JWT is ASCII)', () => {
    const cache = new JwtIntrospectionCache();
    cache.add(entry('a.b.\ud800'));
    expect(cache.size).toBe(0);
  });

  it('belongs to one server: two caches share nothing', () => {
    const [one, two] = [new JwtIntrospectionCache(), new JwtIntrospectionCache()];
    one.add(entry('t1'));
    expect(two.get('t1')).toBeUndefined();
  });
});
