import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/http/server.js';

/** `serve --import` (config importFile): the start-up import goes through the same admin service as `tessera import`. */
const dir = mkdtempSync(join(tmpdir(), 'tessera-server-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('start-up import', () => {
  it("gives a client without its own lifetime the server's accessTokenTtl, as `tessera import` does", async () => {
    const doc = join(dir, 'doc.json');
    writeFileSync(doc, JSON.stringify({ clients: [{ client_id: 'svc', client_secret: 'start-up-secret', grant_types: ['client_credentials'], scope: 'read' }] }));
    const config = loadConfig({ port: '0', host: '127.0.0.1', dataDir: join(dir, 'data'), import: doc }, { TESSERA_ACCESS_TOKEN_TTL: '120' });
    const server = await startServer(config, { logger: pino({ level: 'silent' }) });
    try {
      expect((await server.ctx.store.clients.get('svc'))?.accessTokenTtl).toBe(120);
    } finally {
      await server.close();
    }
  });

  it('refuses to start on an invalid document, naming every problem with its path', async () => {
    const doc = join(dir, 'bad.json');
    writeFileSync(doc, JSON.stringify({ clients: [{ client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['client_credential'], scope: 'read' }] }));
    const config = loadConfig({ port: '0', host: '127.0.0.1', dataDir: join(dir, 'data-bad'), import: doc }, {});
    await expect(startServer(config, { logger: pino({ level: 'silent' }) })).rejects.toThrow(/The import document is invalid:\n {2}\$\.clients\[0\]\.grant_types: "client_credential" is neither/);
  });
});
