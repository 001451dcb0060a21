import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { AdminApiError, AdminClient, TokenClient, type EventView } from '../src/index.js';

/** AdminClient.events() against a real Tessera: the audit trail, typed, page by page. */
const SECRET = 'admin-secret-0123';
let server: TestServer;
let admin: AdminClient;

beforeAll(async () => {
  server = await startTestServer({ doc: { clients: [{ client_id: 'auditor', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin' }] } });
  const tokenClient = new TokenClient({ issuer: server.url, clientId: 'auditor', clientSecret: SECRET, grant: { type: 'client_credentials', scope: 'tessera:admin' } });
  admin = new AdminClient({ baseUrl: server.url, tokenClient });
});
afterAll(async () => {
  await server?.stop();
});

/** The events of `query`, once at least `n` are there (the table is written in batches every 100 ms). */
async function eventsOf(query: Parameters<AdminClient['events']>[0], n: number): Promise<EventView[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const all = await admin.events(query).all();
    if (all.length >= n || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('AdminClient.events', () => {
  it('walks every page of the filtered trail, oldest first, typed', async () => {
    const start = new Date();
    for (let i = 0; i < 5; i++) await admin.clients.create({ client_id: `ev-${i}`, grant_types: ['client_credentials'], scope: 'read' });
    const all = await eventsOf({ type: 'admin.change', since: start }, 5);
    expect(all.map((e) => e.details.id)).toEqual(['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4']);
    expect(all[0]).toMatchObject({ type: 'admin.change', client_id: 'ev-0', actor: { kind: 'admin_api', id: 'auditor' }, details: { resource: 'client', action: 'create' } });

    // Two per page: three requests, the same events in the same order.
    const pages: number[] = [];
    for await (const page of admin.events({ type: 'admin.change', since: start.toISOString(), limit: 2 }).pages()) pages.push(page.items.length);
    expect(pages).toEqual([2, 2, 1]);
    const walked: string[] = [];
    for await (const e of admin.events({ type: 'admin.change', since: start, limit: 2 })) walked.push(e.id);
    expect(walked).toEqual(all.map((e) => e.id));

    expect((await admin.events({ clientId: 'ev-3', since: start }).all()).map((e) => e.details.id)).toEqual(['ev-3']);
    // Before the test's changes only the start-up's own: the console client the server creates (actor system).
    expect((await admin.events({ type: 'admin.change', until: start }).all()).filter((e) => e.actor?.kind !== 'system')).toEqual([]);
  });

  it('sees a failed client authentication with its method', async () => {
    const start = new Date();
    await expect(new TokenClient({ issuer: server.url, clientId: 'ev-0', clientSecret: 'not-the-secret-123' }).clientCredentials()).rejects.toThrow();
    const [e] = await eventsOf({ type: 'client.auth_failed', clientId: 'ev-0', since: start }, 1);
    expect(e).toMatchObject({ type: 'client.auth_failed', client_id: 'ev-0', details: { reason: 'invalid_client' } });
    expect(e!.address).toBe('127.0.0.1');
  });

  it('a malformed filter is an AdminApiError 400', async () => {
    const err = await admin.events({ since: 'yesterday' }).all().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AdminApiError);
    expect((err as AdminApiError).status).toBe(400);
    const bad = await admin.events({ type: 'nope' as never }).all().catch((x: unknown) => x);
    expect((bad as AdminApiError).status).toBe(400);
  });
});
