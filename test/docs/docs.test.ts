import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBlocks, type DocBlock } from '../support/doc-blocks.js';
import { outputMismatches } from '../support/doc-output.js';
import { DocSession } from '../support/doc-runner.js';

/**
 * The docs test (docs/testing.md, "The docs test"): every shell example of README.md and docs/*.md runs, in page
 * order, against a fresh Tessera, and the outputs the pages show must still match. A block marked
 * `<!-- docs-test: skip (reason) -->` is skipped by name; a page not covered yet is in NOT_COVERED, with why.
 */

/** Pages whose examples the docs test does not run yet, with the reason: the gap, in one visible place. */
const NOT_COVERED: Record<string, string> = {};

const PAGES = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const COVERED = PAGES.filter((p) => !(p in NOT_COVERED));

beforeAll(() => {
  if (!existsSync('dist/tessera.mjs')) execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}, 120_000);

describe('docs test: coverage', () => {
  it('lists only pages that exist as not covered, and says why', () => {
    for (const [page, reason] of Object.entries(NOT_COVERED)) {
      expect(PAGES, page).toContain(page);
      expect(reason.length).toBeGreaterThan(5);
    }
    console.info(`docs test: pages not covered yet:\n${Object.entries(NOT_COVERED).map(([p, r]) => `  ${p}: ${r}`).join('\n')}`);
  });

  it('skips blocks only by an explicit marker with a reason', () => {
    const skipped = COVERED.flatMap((page) => extractBlocks(page, readFileSync(page, 'utf8')).filter((b) => b.skip !== undefined));
    console.info(`docs test: skipped blocks:\n${skipped.map((b) => `  ${b.name}: ${b.skip}`).join('\n')}`);
    for (const b of skipped) expect(b.skip!.trim().length, b.name).toBeGreaterThan(0);
  });
});

for (const page of COVERED) {
  const blocks: DocBlock[] = extractBlocks(page, readFileSync(page, 'utf8'));
  if (blocks.length === 0) continue; // a page without shell examples (architecture.md, configuration.md, ...)
  describe(`docs test: ${page}`, () => {
    const session = new DocSession();
    afterAll(() => session.close());
    // In order, in one session: a later block relies on what earlier ones did.
    for (const block of blocks) {
      const label = `${block.name} ${block.commands[0]?.text.split('\n')[0] ?? ''}`;
      if (block.skip !== undefined) {
        it.skip(`${label} (skipped: ${block.skip})`, () => {});
        continue;
      }
      it(label, async () => {
        for (const cmd of block.commands) {
          const res = await session.run(cmd.text);
          expect(res.code, `${block.name}: \`${cmd.text}\` failed:\n${res.stderr}\n${res.stdout}`).toBe(0);
          if (cmd.expected !== undefined) expect(outputMismatches(cmd.expected, res.stdout), `${block.name}: \`${cmd.text}\``).toEqual([]);
          if (cmd.status !== undefined) expect(res.statuses.at(-1), `${block.name}: \`${cmd.text}\`: the page says ${cmd.status}`).toBe(cmd.status);
          else if (cmd.expected === undefined && !/\bcurl\s+-\w*i/.test(cmd.text)) {
            // An error answer the reader cannot see (`curl -s` prints the body only) must be one the page shows.
            const failed = res.statuses.filter((s) => s >= 400);
            expect(failed, `${block.name}: \`${cmd.text}\` was answered ${failed.join(', ')}:\n${res.stdout}`).toEqual([]);
          }
        }
      });
    }
  });
}
