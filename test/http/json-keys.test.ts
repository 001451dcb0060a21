import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { topLevelMemberCount } from '../../src/http/json-keys.js';

/** JSON values with awkward strings: quotes, backslashes, braces, colons and non-ASCII inside names and values. */
const awkward = fc.string({ unit: fc.constantFrom('a', '"', '\\', '{', '}', '[', ']', ':', ',', ' ', 'é', '\u2028', '\n', '\u0000') });
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, awkward, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(awkward, tie('v'), { maxKeys: 3 })),
})).v;

describe('topLevelMemberCount', () => {
  it('counts the members of any object JSON.stringify writes, whatever its names and nested values hold', () => {
    fc.assert(fc.property(fc.dictionary(awkward, value, { maxKeys: 6 }), fc.boolean(), (obj, pretty) => {
      const text = JSON.stringify(obj, null, pretty ? 2 : 0);
      expect(topLevelMemberCount(text)).toBe(Object.keys(JSON.parse(text) as object).length);
    }));
  });

  it('counts a repeated name twice, so the parsed object has fewer keys than the text names', () => {
    fc.assert(fc.property(fc.dictionary(awkward, value, { minKeys: 1, maxKeys: 5 }), value, (obj, extra) => {
      const [name] = Object.keys(obj);
      const text = `${JSON.stringify(obj).slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(extra)}}`;
      expect(topLevelMemberCount(text)).toBe(Object.keys(JSON.parse(text) as object).length + 1);
    }));
  });

  it('sees a repeat spelled with an escape, and ignores names inside nested objects and arrays', () => {
    expect(topLevelMemberCount('{"a":"1","\\u0061":"2"}')).toBe(2);
    expect(topLevelMemberCount('{"a":{"b":1,"b":2},"c":[{"d":1}]}')).toBe(2);
    expect(topLevelMemberCount(' { "a" : "x:y" , "b\\"" :\t"}" } ')).toBe(2);
    expect(topLevelMemberCount('[]')).toBe(0);
    expect(topLevelMemberCount('{}')).toBe(0);
  });
});
