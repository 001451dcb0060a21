import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * deploy/Dockerfile cannot be built here (no Docker engine), so its build stage is checked against what
 * `npm run build` needs: the image must ship the bundle (dist/tessera.mjs, the worker programs) that bin/tessera.js
 * prefers, which only scripts/bundle.mjs makes.
 */
const dockerfile = readFileSync('deploy/Dockerfile', 'utf8');
const build = dockerfile.split(/^FROM /m)[1]!;
const steps = build.split('\n').filter((l) => /^(COPY|RUN) /.test(l) || /^\s+&&/.test(l));
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

describe('deploy/Dockerfile build stage', () => {
  it('runs npm run build (tsc and the bundle step), not tsc alone', () => {
    expect(build).toMatch(/^RUN npm run build\b/m);
    expect(build).not.toMatch(/^RUN npx tsc\b/m);
    expect(pkg.scripts.build).toContain('node scripts/bundle.mjs');
    expect(build).toContain('test -f dist/tessera.mjs');
  });

  it('copies every input of the build before running it', () => {
    const runAt = steps.findIndex((l) => l.startsWith('RUN npm run build'));
    const copied = steps.slice(0, runAt).filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const input of ['package.json', 'package-lock.json', 'packages', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'scripts', 'src']) expect(copied).toContain(input);
  });
});
