import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli/main.js';
import { CliError } from '../../../src/cli/output.js';
import { formatProblem, type Problem } from '../../../src/admin/problems.js';
import type { TestServer } from '../../support/server.js';
import { call, startAdminServer, tokenOf } from './helpers.js';

/** The API and `tessera client create/update` refuse the same input in the same words (admin/problems.ts). */
const dir = mkdtempSync(join(tmpdir(), 'tessera-admin-cli-'));
let s: TestServer;
let token: string;

beforeAll(async () => {
  s = await startAdminServer();
  token = await tokenOf(s, 'admin');
});
afterAll(async () => {
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process against a store of its own; what it threw, if anything. */
async function runCli(args: string[]): Promise<unknown> {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await (await buildProgram()).parseAsync([...args, '--data-dir', dir], { from: 'user' }).then(() => undefined, (e: unknown) => e);
  } finally {
    vi.restoreAllMocks();
  }
}

/** The CLI's refusal message. */
async function cliSays(args: string[]): Promise<string> {
  const err = await runCli(args);
  expect(err).toBeInstanceOf(CliError);
  return (err as CliError).message;
}

const apiSays = (errors: unknown): string => (errors as Problem[]).map(formatProblem).join('\n');

describe('the same bad input, the same messages', () => {
  it.each([
    ['an unknown grant type', ['--grant', 'client_credential', '--secret', 'long-enough-1'], { grant_types: ['client_credential'], client_secret: 'long-enough-1' }],
    ['a public client given client_credentials', ['--auth-method', 'none', '--grant', 'client_credentials'], { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] }],
    ['an http jwks_uri off loopback', ['--auth-method', 'private_key_jwt', '--jwks-uri', 'http://10.0.0.1/jwks'], { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://10.0.0.1/jwks' }],
    ['a short secret', ['--secret', 'short'], { client_secret: 'short' }],
    ['a zero lifetime', ['--ttl', '0', '--secret', 'long-enough-1'], { access_token_ttl: 0, client_secret: 'long-enough-1' }],
    ['a default scope beyond the scope', ['--scope', 'read', '--default-scope', 'write', '--secret', 'long-enough-1'], { scope: 'read', default_scope: 'write', client_secret: 'long-enough-1' }],
    ['an unknown auth method', ['--auth-method', 'magic'], { token_endpoint_auth_method: 'magic' }],
    ['a bad client id', ['--id', ' padded'], { client_id: ' padded' }],
  ])('create: %s', async (_what, flags, body) => {
    const args = flags.includes('--id') ? flags : ['--id', 'refused', ...flags];
    const cli = await cliSays(['client', 'create', ...args]);
    const r = await call(s.url, 'POST', '/admin/v1/clients', { token, body: { client_id: 'refused', ...body } });
    expect(r.status).toBe(422);
    expect(cli).not.toBe('');
    expect(apiSays(r.body.errors)).toBe(cli);
  });

  it('update: the client as it would be after the change', async () => {
    const created = await call(s.url, 'POST', '/admin/v1/clients', { token, body: { client_id: 'app', grant_types: ['client_credentials'], scope: 'read write', default_scope: 'read' } });
    expect(created.status).toBe(201);
    expect(await runCli(['client', 'create', '--id', 'app', '--scope', 'read write', '--default-scope', 'read'])).toBeUndefined();
    for (const [flags, patch] of [
      [['--scope', 'write'], { scope: 'write' }],
      [['--auth-method', 'none'], { token_endpoint_auth_method: 'none' }],
      [['--rate-limit', '0/60'], { rate_limit: { points: 0, duration: 60 } }],
    ] as const) {
      const cli = await cliSays(['client', 'update', 'app', ...flags]);
      const r = await call(s.url, 'PATCH', '/admin/v1/clients/app', { token, body: patch });
      expect(r.status).toBe(422);
      expect(apiSays(r.body.errors)).toBe(cli);
    }
  });
});
