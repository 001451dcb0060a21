import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { nowSeconds, startPeer, type Peer } from '../support/peer.js';
import type { StoredEvent } from '../../src/store/types.js';

/**
 * idp.unavailable / idp.recovered over HTTP: a federated grant to an RFC 7662 provider whose endpoint fails is a 503,
 * recorded once per outage in the audit trail, and the provider answering again is one idp.recovered.
 */
const SECRET = 'idp-events-client-secret';
let s: TestServer;
let peer: Peer;
let down = true;

beforeAll(async () => {
  peer = await startPeer({ '/introspect': () => (down ? { status: 500, body: 'maintenance' } : { body: { active: true, sub: 'corp-7', exp: nowSeconds() + 600 } }) });
  s = await startTestServer({
    doc: {
      clients: [{ client_id: 'app', client_secret: SECRET, grant_types: ['corp'], scope: 'read' }],
      identity_providers: [{ name: 'corp', type: 'introspection', endpoint: `${peer.url}/introspect`, client_id: 'tessera', client_secret: 'their-secret', auto_provision: true }],
    },
  });
}, 30_000);
afterAll(async () => {
  await s?.stop();
  await peer?.close();
});

async function idpEvents(n: number): Promise<StoredEvent[]> {
  const deadline = Date.now() + 1000;
  for (;;) {
    const got = (await s.ctx.store.events.query({})).filter((e) => e.type.startsWith('idp.'));
    if (got.length >= n || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('identity provider outage events', () => {
  it('one idp.unavailable for an outage however many requests fail, then one idp.recovered', async () => {
    const grant = () => s.post('/oauth/token', { grant_type: 'corp', token: 'upstream-token-123' }, { authorization: basic('app', SECRET) });
    for (let i = 0; i < 3; i++) {
      const r = await grant();
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('temporarily_unavailable');
    }
    const during = await idpEvents(1);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatchObject({ type: 'idp.unavailable', details: { provider: 'corp' } });
    expect(typeof during[0]!.details.reason).toBe('string');

    down = false;
    expect((await grant()).status).toBe(200);
    const after = await idpEvents(2);
    expect(after.map((e) => e.type)).toEqual(['idp.unavailable', 'idp.recovered']);
    expect(after[1]!.details).toEqual({ provider: 'corp' });
    expect(JSON.stringify(after)).not.toContain('upstream-token-123');
    expect(JSON.stringify(after)).not.toContain('their-secret');
  });
});
