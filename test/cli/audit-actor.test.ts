import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

/** The built CLI in a child process: its admin changes reach the audit table, with the OS user as the actor. */
const BIN = resolve('bin/tessera.js');
const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-audit-'));
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tessera(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { env: { ...process.env, SUDO_USER: '', TESSERA_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('CLI admin changes in the audit trail', () => {
  it('client create / delete and import record admin.change with the CLI actor, never the secret', async () => {
    expect((await tessera(['client', 'create', '--id', 'cli-made', '--scope', 'read', '--json'])).code).toBe(0);
    expect((await tessera(['client', 'delete', 'cli-made'])).code).toBe(0);
    const doc = join(dir, 'seed.json');
    writeFileSync(doc, JSON.stringify({ clients: [{ client_id: 'imported', client_secret: 'imported-secret-123456', grant_types: ['client_credentials'], scope: 'read' }] }));
    const imported = await tessera(['import', doc]);
    expect(imported.code, imported.stderr).toBe(0);

    const store = await openSqliteStore(join(dataDir, 'tessera.db'));
    try {
      const me = userInfo().username;
      const made = await store.events.query({ clientId: 'cli-made' });
      expect(made.map((e) => [e.type, e.details.action, e.actor])).toEqual([
        ['admin.change', 'create', { kind: 'cli', id: me }],
        ['admin.change', 'delete', { kind: 'cli', id: me }],
      ]);
      const [imp] = await store.events.query({ clientId: 'imported' });
      expect(imp).toMatchObject({ type: 'admin.change', actor: { kind: 'import', id: `${me}:seed.json` }, details: { resource: 'client', action: 'create' } });
      expect(JSON.stringify(await store.events.query({}))).not.toContain('imported-secret-123456');
    } finally {
      await store.close();
    }
  });
});
