// Builds the dual package: dist/esm (the package's own "type": "module") and dist/cjs for require(), each with
// its own .d.ts files, so TypeScript resolves the right flavour under both module systems.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = (project) => execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });

rmSync(new URL('dist', root), { recursive: true, force: true });
run('tsconfig.json');
run('tsconfig.cjs.json');
// Inside dist/cjs the .js and .d.ts files are CommonJS: Node and TypeScript take that from the nearest package.json.
mkdirSync(new URL('dist/cjs', root), { recursive: true });
writeFileSync(new URL('dist/cjs/package.json', root), JSON.stringify({ type: 'commonjs' }) + '\n');
