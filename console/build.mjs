// Bundles the web console (console/src, Preact) into dist/console/: app.js, app.css and index.html. Called by
// scripts/bundle.mjs (npm run build) and by the browser tests when the bundle is missing. Everything the page
// loads is in these three files (nothing from another origin; docs/console.md).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function buildConsole(outdir = path.join(here, '..', 'dist', 'console')) {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { app: path.join(here, 'src', 'app.tsx') },
    outdir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.css': 'css' },
    legalComments: 'none',
    logLevel: 'warning',
  });
  await build({ entryPoints: [path.join(here, 'src', 'app.css')], outfile: path.join(outdir, 'app.css'), bundle: true, minify: true, logLevel: 'warning' });
  copyFileSync(path.join(here, 'index.html'), path.join(outdir, 'index.html'));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole();
