import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorkerProgram } from '../src/worker-program.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-worker-program-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function firstMessage(w: Worker): Promise<unknown> {
  return new Promise((done, fail) => {
    w.once('message', (m) => {
      done(m);
      void w.terminate();
    });
    w.once('error', fail);
  });
}

describe('startWorkerProgram', () => {
  it('runs the compiled .js beside the starting module (dist/, and beside the bundle)', async () => {
    writeFileSync(join(dir, 'compiled-worker.js'), "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage('compiled');\n");
    writeFileSync(join(dir, 'compiled-worker.ts'), "throw new Error('the source must not run when the compiled program is there');\n");
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    expect(await firstMessage(startWorkerProgram('compiled-worker', pathToFileURL(join(dir, 'starter.js')).href))).toBe('compiled');
  });

  it('from the TypeScript sources: compiles the .ts, with import.meta.url and packages resolved as at its own place', async () => {
    const source = resolve('test/fixtures/workers/probe-worker.ts');
    const m = (await firstMessage(startWorkerProgram('probe-worker', pathToFileURL(resolve('test/fixtures/workers/starter.ts')).href))) as Record<string, string>;
    expect(m.url).toBe(pathToFileURL(source).href);
    expect(m.pkg).toBe('function');
    expect(m.resolved).toContain(join('node_modules', 'kysely'));
  });

  it('throws when there is no program of that name', () => {
    expect(() => startWorkerProgram('missing-worker', pathToFileURL(join(dir, 'starter.js')).href)).toThrow(/no worker program/);
  });
});
