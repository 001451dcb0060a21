#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from tsc) and its pure-JavaScript dependencies into one ES module,
// dist/tessera.mjs, which bin/tessera.js prefers. Node 20 spends most of Tessera's start-up resolving and
// evaluating some 2,000 small module files (Kysely alone is ~280); one file halves the time from spawn to
// "listening" (docs/adr/0008-bundled-cli.md). Native addons, and packages that read files next to their own code
// at run time, stay external and load from node_modules as before.
//
// Worker programs (src/**/*-worker.ts, started by src/worker-program.ts) run on threads of their own, so they
// cannot be inside the bundle: each is bundled on its own and written beside it (dist/signing-worker.js), where
// the bundled code that starts it looks, its name relative to its own module as in dist/.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
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
  // loaded only when asked for (OTEL_* tracing, pretty logs on a terminal): kept out of the bundle every start
  // parses. @opentelemetry/api stays bundled; its global registry is shared with the SDK's copy by design.
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/resources',
  '@opentelemetry/semantic-conventions',
  'pino-pretty',
];

const common = {
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
};

/** The compiled worker programs, keyed by the name they are started by. */
function workerPrograms() {
  const programs = {};
  for (const entry of readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('-worker.ts')) continue;
    const name = entry.name.slice(0, -'.ts'.length);
    const source = path.relative(path.join(root, 'src'), path.join(entry.parentPath, entry.name));
    // Beside the bundle they share one directory, so their names must differ, and differ from the top of dist/.
    if (programs[name] || !source.includes(path.sep)) throw new Error(`worker program ${source}: its name must be unique and it must sit in a folder of src/`);
    programs[name] = path.join(root, 'dist', source.slice(0, -'.ts'.length) + '.js');
  }
  return programs;
}

// Split at the CLI's dynamic imports: `tessera client list` loads (and V8 compiles) the entry and the admin
// commands' chunk, not the server's, which `serve` alone imports (docs/cli.md, "Start-up time"). The chunks sit
// beside the entry, so code inside them finds the worker programs by the same relative names.
for (const f of readdirSync(path.join(root, 'dist'))) if (/^tessera-chunk-.*\.mjs(\.map)?$/.test(f)) rmSync(path.join(root, 'dist', f));
await build({
  ...common,
  entryPoints: { tessera: path.join(root, 'dist/cli/main.js') },
  outdir: path.join(root, 'dist'),
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'tessera-chunk-[hash]',
});
await build({ ...common, entryPoints: workerPrograms(), outdir: path.join(root, 'dist'), entryNames: '[name]' });

// The web console (console/build.mjs): dist/console/, served at /console.
const { buildConsole } = await import('../console/build.mjs');
await buildConsole(path.join(root, 'dist', 'console'));
