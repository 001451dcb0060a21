#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script) or `npm run build`, which
// also bundles it into dist/tessera.mjs (scripts/bundle.mjs: half the start-up time). The bundle is used unless
// the compiled sources are newer (a `tsc` run without the bundling step).
import { statSync } from 'node:fs';

// Settle process.nextTick's optimised code before anything else calls it. Measured on Node 20: depending on
// the mix of calls during start-up, V8 optimises nextTick into a variant that costs ~0.3 µs per call instead
// of ~0.05 µs, and Node's HTTP and stream internals call it six to eight times per request (about 2 µs, 5% of
// an introspection request, in 5 of 7 processes). 20,000 uniform calls first (~2 ms) made every process
// land on the fast variant. See docs/benchmarks.md ("process.nextTick"). Only a server needs it: the
// administrative commands skip it (docs/cli.md, "Start-up time").
if (process.argv[2] === 'serve') {
  const noop = () => {};
  for (let i = 0; i < 20_000; i++) process.nextTick(noop, i);
}

function mtime(relative) {
  try {
    return statSync(new URL(relative, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
}

const entry = mtime('../dist/tessera.mjs') >= mtime('../dist/cli/main.js') ? '../dist/tessera.mjs' : '../dist/cli/main.js';
// main() settles once the command has done its work (`serve`: once it listens) or reported its failure. If the
// event loop empties before that, something awaited a handle that cannot keep the process alive (an unref'd
// timer or thread) and the command was cut short: that must never look like success (exit 0, no output).
let settled = false;
process.once('beforeExit', () => {
  if (settled) return;
  console.error('tessera: stopped before the command finished (an internal wait was abandoned); exiting with an error');
  process.exit(1);
});
import(entry).then((m) => m.main(process.argv.slice(2))).then(
  () => {
    settled = true;
  },
  (err) => {
    settled = true;
    console.error(`tessera: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
