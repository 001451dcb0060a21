import { describe, expect, it } from 'vitest';
import { ClaimTemplates, compileClaimTemplate, evaluateTemplate, RESERVED_CLAIMS } from '../../src/oauth/claims.js';
import type { Client } from '../../src/store/types.js';

const client = (over: Partial<Client> = {}) => ({ clientId: 'svc', name: 'Svc', metadata: { plan: 'gold', n: { seats: 5 } }, claims: null, ...over }) as Client;

describe('claim templates', () => {
  it('compiles literals, whole references (typed) and text with references', () => {
    const { template, problems } = compileClaimTemplate({ plan: '{{ client.metadata.plan }}', seats: '{{client.metadata.n.seats}}', tag: '{{client.id}}/{{org.id}}', on: true, list: [1] });
    expect(problems).toEqual([]);
    expect(evaluateTemplate(template, { client: client(), subject: 'svc', orgId: 'acme' })).toEqual({ plan: 'gold', seats: 5, tag: 'svc/acme', on: true, list: [1] });
    // A missing reference omits the claim, in text too.
    expect(evaluateTemplate(template, { client: client({ metadata: null }), subject: 'svc' })).toEqual({ on: true, list: [1] });
  });

  it('reads user metadata, and never walks into inherited properties', () => {
    const { template } = compileClaimTemplate({ roles: '{{user.metadata.roles}}', proto: '{{client.metadata.constructor}}' });
    const user = { id: 'u', username: 'ada', metadata: { roles: ['admin'] } } as never;
    expect(evaluateTemplate(template, { client: client(), subject: 'u', user })).toEqual({ roles: ['admin'] });
  });

  it('refuses every reserved claim and unknown or malformed references', () => {
    for (const name of RESERVED_CLAIMS) expect(compileClaimTemplate({ [name]: 'x' }).problems).toHaveLength(1);
    expect(compileClaimTemplate({ a: '{{nope}}', b: '{{client.metadata.a..b}}', c: 'x}}' }).problems.map((p) => p.claim)).toEqual(['a', 'b', 'c']);
  });

  it('compiles once per client record: a changed record is compiled again', () => {
    const templates = new ClaimTemplates();
    const c1 = client({ claims: { plan: '{{client.metadata.plan}}' } });
    expect(templates.of(client())).toBeUndefined();
    const compiled = templates.of(c1);
    expect(templates.of(c1)).toBe(compiled);
    const c2 = { ...c1, metadata: { plan: 'platinum' } };
    expect(templates.claimsFor({ client: c2, subject: 'svc' })).toEqual({ plan: 'platinum' });
    expect(templates.of(c2)).not.toBe(compiled);
  });
});
