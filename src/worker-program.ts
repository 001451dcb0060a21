import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker program: a module of its own, named `*-worker`, that sits beside the module starting it
 * (`beside`, that module's import.meta.url) and runs on a `worker_threads` thread (the signing thread, the SQLite
 * checkpointer). Where it is found:
 *
 * - compiled (`npm run build`): the `.js` beside the starter's own `.js`, as tsc emits them into dist/;
 * - bundled: the starter's code is inside dist/tessera.mjs, and scripts/bundle.mjs emits each worker program,
 *   bundled too, beside it (dist/signing-worker.js), so the same relative name finds it (ADR 0008);
 * - from the TypeScript sources (the test runner transpiles them in its own loader, which a thread does not
 *   share): the `.ts` beside the starter, compiled here once per process with esbuild, a dev dependency.
 */
export function startWorkerProgram(name: `${string}-worker`, beside: string, options: WorkerOptions = {}): Worker {
  const compiled = new URL(`./${name}.js`, beside);
  if (existsSync(compiled)) return new Worker(compiled, options);
  return new Worker(fromSource(fileURLToPath(new URL(`./${name}.ts`, beside))), { ...options, eval: true });
}

/** The subset of esbuild's API used here (esbuild is a dev dependency: present wherever the sources run). */
interface Esbuild {
  buildSync(options: Record<string, unknown>): { outputFiles: Array<{ text: string }> };
}

const fromSources = new Map<string, string>();

/**
 * The program at `file` (TypeScript) as one CommonJS script for an eval'd thread. Packages stay imports, resolved
 * from `file` (an eval'd thread would resolve them from the working directory), and import.meta.url is `file`'s.
 */
function fromSource(file: string): string {
  let script = fromSources.get(file);
  if (script === undefined) {
    if (!existsSync(file)) throw new Error(`no worker program at ${file} (nor its compiled .js)`);
    const esbuild = createRequire(file)('esbuild') as Esbuild;
    const [out] = esbuild.buildSync({
      entryPoints: [file],
      bundle: true,
      packages: 'external',
      write: false,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(file).href) },
      logLevel: 'warning',
    }).outputFiles;
    script = `(function (require) {\n${out!.text}\n})(require('node:module').createRequire(${JSON.stringify(file)}));`;
    fromSources.set(file, script);
  }
  return script;
}
