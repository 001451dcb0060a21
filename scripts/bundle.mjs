#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) and its pure-JavaScript dependencies into one ES module,
// dist/tessera.mjs, which bin/tessera.js prefers. Node 20 spends most of Tessera's start-up resolving and
// evaluating some 2,000 small module files (Kysely alone is ~280); one file halves the time from spawn to
// "listening" (docs/adr/0008-bundled-cli.md). Native addons, and packages that read files next to their own code
// at run time, stay external and load from node_modules as before.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const EXTERNAL = [
  // native addons
  'better-sqlite3',
  'sodium-native',
  '@node-rs/argon2',
  'pg-native',
  // serves the Swagger UI assets from its own package directory
  '@fastify/swagger-ui',
];

await build({
  entryPoints: [path.join(root, 'dist/cli/main.js')],
  outfile: path.join(root, 'dist/tessera.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  sourcemap: 'linked',
  legalComments: 'external',
  // CommonJS dependencies inside an ES module bundle still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __tesseraCreateRequire } from 'node:module'; const require = __tesseraCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
