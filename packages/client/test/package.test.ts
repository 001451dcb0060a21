import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The published shape of @tessera/client, tried as a user would: `npm pack` the workspace, install the tarball
 * into a fresh project outside the repository, then import it from ESM, require it from CommonJS and typecheck
 * both with tsc. No network: the SDK's one runtime dependency (jose) is packed from this repository's
 * node_modules and installed from that tarball with `--offline`.
 */
const REPO = join(import.meta.dirname, '../../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

let dir: string;
let project: string;

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

function pack(spec: string): string {
  const [out] = JSON.parse(sh(npm, ['pack', ...spec.split(' '), '--pack-destination', dir, '--json', '--silent'], REPO)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return join(dir, out!.filename);
}

/** tsc's messages for the consumer project; '' when it compiles. */
function typeErrors(): string {
  try {
    sh(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    return '';
  } catch (err) {
    const e = err as { stdout?: string; message: string };
    return e.stdout || e.message;
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-client-pack-'));
  project = join(dir, 'consumer');
  const sdk = pack('-w packages/client');
  const jose = pack('./node_modules/jose');
  execFileSync('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  sh(npm, ['install', '--offline', '--no-audit', '--no-fund', '--silent', sdk, jose], project);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const USE = `
const client = new TokenClient({ issuer: 'https://as.example', clientId: 'c1', clientSecret: 's' });
const verifier = createVerifier({ issuer: 'https://as.example', audience: 'api' });
const err = new OAuthError({ error: 'invalid_grant', status: 400 });
console.log(JSON.stringify({ clientId: client.clientId, issuer: verifier.issuer, isError: err instanceof Error, error: err.error, url: metadataUrl('https://as.example/t') }));
`;
const EXPECTED = { clientId: 'c1', issuer: 'https://as.example', isError: true, error: 'invalid_grant', url: 'https://as.example/.well-known/oauth-authorization-server/t' };

describe('the packed @tessera/client in a project outside the repository', () => {
  it('ships only the build, the README and package.json', () => {
    const files = execFileSync('tar', ['-tzf', join(dir, 'tessera-client-0.1.0.tgz')], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toContain('package/dist/esm/index.js');
    expect(files).toContain('package/dist/cjs/index.js');
    expect(files).toContain('package/dist/cjs/package.json');
    expect(files.filter((f) => !/^package\/(dist\/(esm|cjs)\/|README\.md$|package\.json$)/.test(f))).toEqual([]);
  });

  it('works from ESM import', () => {
    writeFileSync(join(project, 'esm.mjs'), `import { TokenClient, createVerifier, OAuthError, metadataUrl } from '@tessera/client';\n${USE}`);
    expect(JSON.parse(sh(process.execPath, ['esm.mjs'], project))).toEqual(EXPECTED);
  });

  it('works from CommonJS require; exports map has no other entry points', () => {
    writeFileSync(join(project, 'cjs.cjs'), `const { TokenClient, createVerifier, OAuthError, metadataUrl } = require('@tessera/client');\n${USE}`);
    expect(JSON.parse(sh(process.execPath, ['cjs.cjs'], project))).toEqual(EXPECTED);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/@tessera/client/package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.', './package.json']);
  });

  it('typechecks with tsc from ESM and CommonJS files (strict, no skipLibCheck)', () => {
    const types = `
import type { TokenResult, VerifiedToken } from '@tessera/client';
export async function token(c: TokenClient): Promise<string> { const r: TokenResult = await c.clientCredentials({ scope: ['read'] }); return r.access_token; }
export function scopes(v: VerifiedToken): string[] { return v.scopes; }
// @ts-expect-error a wrong type must be refused, or this test proves nothing
export const wrong: TokenResult = { access_token: 1 };
`;
    writeFileSync(join(project, 'esm-use.mts'), `import { TokenClient } from '@tessera/client';\n${types}`);
    writeFileSync(join(project, 'cjs-use.cts'), `import { TokenClient } from '@tessera/client';\nimport sdk = require('@tessera/client');\nexport const v = sdk.createVerifier({ issuer: 'https://as.example', audience: 'api' });\n${types}`);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], types: [], strict: true, noEmit: true, skipLibCheck: false }, files: ['esm-use.mts', 'cjs-use.cts'] }),
    );
    expect(typeErrors()).toBe('');
  });
});
