import { describe, expect, it } from 'vitest';
import { allowedTargets, refreshTargets, requestedTargets, resolveTargets } from '../../src/oauth/resources.js';
import type { Client } from '../../src/store/types.js';

const A = 'https://a.example/';
const B = 'https://b.example/v1';
const client = (over: Partial<Client> = {}) => ({ clientId: 'c', audience: null, allowedResources: [A, B, 'pay'], ...over }) as Client;
const params = (o: Record<string, string>) => new Map(Object.entries(o));
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'none';
};

describe('resource indicators', () => {
  it('requestedTargets: resources then audiences, split, without repeats; undefined when none', () => {
    expect(requestedTargets(params({}))).toBeUndefined();
    expect(requestedTargets(params({ resource: `${A} ${B}`, audience: `pay ${A}` }))).toEqual([A, B, 'pay']);
    expect(code(() => requestedTargets(params({ resource: 'relative/path' })))).toBe('invalid_target');
    expect(code(() => requestedTargets(params({ resource: `${A}#` })))).toBe('invalid_target');
    expect(code(() => requestedTargets(params({ audience: Array.from({ length: 21 }, (_, i) => `a${i}`).join(' ') })))).toBe('invalid_target');
  });

  it('allowedTargets: allowed_resources, else the audience list, else nothing', () => {
    expect(allowedTargets(client())).toEqual([A, B, 'pay']);
    expect(allowedTargets(client({ allowedResources: null, audience: [A] }))).toEqual([A]);
    expect(allowedTargets(client({ allowedResources: undefined, audience: null }))).toEqual([]);
  });

  it('resolveTargets: undefined without parameters; invalid_target outside the list', () => {
    expect(resolveTargets(params({ scope: 'x' }), client())).toBeUndefined();
    expect(resolveTargets(params({ resource: A }), client())).toEqual([A]);
    expect(code(() => resolveTargets(params({ resource: 'https://c.example/' }), client()))).toBe('invalid_target');
  });

  it('refreshTargets: the family grant again, a subset of it, never more; what the client lost is dropped', () => {
    expect(refreshTargets(params({}), client(), { audience: null })).toBeUndefined();
    expect(refreshTargets(params({}), client(), { audience: [A, B] })).toEqual([A, B]);
    expect(refreshTargets(params({ resource: B }), client(), { audience: [A, B] })).toEqual([B]);
    expect(code(() => refreshTargets(params({ audience: 'pay' }), client(), { audience: [A] }))).toBe('invalid_target');
    expect(refreshTargets(params({ audience: 'pay' }), client(), { audience: null })).toEqual(['pay']);
    expect(refreshTargets(params({}), client({ allowedResources: [B] }), { audience: [A, B] })).toEqual([B]);
    expect(code(() => refreshTargets(params({}), client({ allowedResources: [] }), { audience: [A] }))).toBe('invalid_target');
  });
});
