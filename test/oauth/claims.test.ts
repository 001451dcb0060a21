import { describe, expect, it } from 'vitest';
import { ClaimTemplates, compileClaimTemplate, evaluateTemplate, RESERVED_CLAIMS } from '../../src/oauth/claims.js';
import type { Client, Installation, Organization } from '../../src/store/types.js';

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

  it('reads the organisation\'s and the installation\'s metadata and the installation id when the grant has the records', () => {
    const { template, problems } = compileClaimTemplate({
      tier: '{{org.metadata.tier}}',
      seats: '{{org.metadata.limits.seats}}',
      plan: '{{installation.metadata.plan}}',
      inst: '{{installation.id}}',
      tag: '{{org.id}}:{{installation.metadata.plan}}',
    });
    expect(problems).toEqual([]);
    const org: Organization = { id: 'acme', name: 'Acme', status: 'active', metadata: { tier: 'gold', limits: { seats: 5 } }, createdAt: 0, updatedAt: 0, version: 1 };
    const installation: Installation = { id: 'inst-1', orgId: 'acme', clientId: 'svc', scope: [], status: 'active', createdAt: 0, approvedAt: 0, revokedAt: null, metadata: { plan: 'pro' }, version: 1 };
    expect(evaluateTemplate(template, { client: client(), subject: 'acme', orgId: 'acme', org, installation })).toEqual({ tier: 'gold', seats: 5, plan: 'pro', inst: 'inst-1', tag: 'acme:pro' });
    // Records without metadata, or a grant without the records: every such claim is omitted, text included.
    expect(evaluateTemplate(template, { client: client(), subject: 'acme', orgId: 'acme', org: { ...org, metadata: null }, installation: { ...installation, metadata: null } })).toEqual({ inst: 'inst-1' });
    expect(evaluateTemplate(template, { client: client(), subject: 'svc', orgId: 'acme' })).toEqual({});
    expect(evaluateTemplate(template, { client: client(), subject: 'svc', org: null, installation: null })).toEqual({});
  });

  it('user.attributes.<path> is user.metadata.<path>', () => {
    const { template, problems } = compileClaimTemplate({ roles: '{{user.attributes.roles}}', team: '{{ user.attributes.org.team }}', same: '{{user.metadata.roles}}' });
    expect(problems).toEqual([]);
    const user = { id: 'u', username: 'ada', metadata: { roles: ['admin'], org: { team: 'core' } } } as never;
    expect(evaluateTemplate(template, { client: client(), subject: 'u', user })).toEqual({ roles: ['admin'], team: 'core', same: ['admin'] });
    expect(evaluateTemplate(template, { client: client(), subject: 'svc' })).toEqual({});
  });

  it('names every known reference when one is not, and refuses malformed paths under the new roots', () => {
    const [unknown] = compileClaimTemplate({ a: '{{org.name}}' }).problems;
    expect(unknown!.message).toBe(
      '"{{org.name}}" is not a known reference (subject, client.id, client.name, user.id, user.username, org.id, installation.id, client.metadata.<path>, user.metadata.<path>, user.attributes.<path>, org.metadata.<path>, installation.metadata.<path>)',
    );
    const bad = compileClaimTemplate({ a: '{{org.metadata.}}', b: '{{installation.metadata.a..b}}', c: '{{user.attributes.x y}}', d: '{{installation.metadata.1.2.3.4.5.6.7.8.9}}', e: '{{installation.name}}', f: '{{org.metadata}}' });
    expect(bad.problems.map((p) => [p.claim, p.message.replace(/ \(.*\)$/, '')])).toEqual([
      ['a', '"{{org.metadata.}}" has a malformed metadata path'],
      ['b', '"{{installation.metadata.a..b}}" has a malformed metadata path'],
      ['c', '"{{user.attributes.x y}}" has a malformed metadata path'],
      ['d', '"{{installation.metadata.1.2.3.4.5.6.7.8.9}}" has a malformed metadata path'],
      ['e', '"{{installation.name}}" is not a known reference'],
      ['f', '"{{org.metadata}}" is not a known reference'],
    ]);
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

  it('a template that reads only the client is evaluated once per record; one that reads the grant, per token', () => {
    const templates = new ClaimTemplates();
    const fixed = client({ claims: { plan: '{{client.metadata.plan}}', tenant: 't-{{client.id}}', name: '{{client.name}}', tier: 2 } });
    const first = templates.claimsFor({ client: fixed, subject: 'a' });
    expect(first).toEqual({ plan: 'gold', tenant: `t-${fixed.clientId}`, tier: 2, ...(fixed.name ? { name: fixed.name } : {}) });
    expect(templates.claimsFor({ client: fixed, subject: 'b', orgId: 'acme' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // An updated record is a new record: evaluated again.
    const updated = { ...fixed, metadata: { plan: 'platinum' } };
    expect(templates.claimsFor({ client: updated, subject: 'a' })).toMatchObject({ plan: 'platinum' });
    // Any reference to the grant (subject, user, org, installation) makes it per token.
    for (const ref of ['{{subject}}', '{{user.id}}', '{{org.id}}', '{{installation.id}}', 'x-{{user.metadata.a}}', '{{org.metadata.a}}']) {
      const perToken = client({ claims: { plan: '{{client.metadata.plan}}', who: ref } });
      const a = templates.claimsFor({ client: perToken, subject: 'a', userId: 'u1', orgId: 'o1', user: { metadata: { a: 1 } } as never, org: { metadata: { a: 2 } } as never, installation: { id: 'i1' } as never });
      const b = templates.claimsFor({ client: perToken, subject: 'b', userId: 'u2', orgId: 'o2', user: { metadata: { a: 3 } } as never, org: { metadata: { a: 4 } } as never, installation: { id: 'i2' } as never });
      expect(a, ref).not.toEqual(b);
    }
  });
});
