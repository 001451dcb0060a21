#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the prepare script) or `npm run build`.

// Settle process.nextTick's optimised code before anything else calls it. Measured on Node 20: depending on
// the mix of calls during start-up, V8 optimises nextTick into a variant that costs ~0.3 µs per call instead
// of ~0.05 µs, and Node's HTTP and stream internals call it six to eight times per request (about 2 µs, 5% of
// an introspection request, in 5 of 7 processes). 20,000 uniform calls first (~2 ms) made every process
// land on the fast variant. See docs/benchmarks.md ("process.nextTick").
const noop = () => {};
for (let i = 0; i < 20_000; i++) process.nextTick(noop, i);

import('../dist/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
