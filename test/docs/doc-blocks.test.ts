import { describe, expect, it } from 'vitest';
import { extractBlocks, splitCommands } from '../support/doc-blocks.js';
import { outputMismatches } from '../support/doc-output.js';

// The docs test's own parts: if these let a wrong page through, the docs test proves nothing.

describe('extractBlocks', () => {
  const page = [
    '# Page',
    '<!-- docs-test: skip (docker) -->',
    '',
    '```sh',
    'docker run tessera',
    '```',
    '',
    '```bash',
    'npx tessera client create --id demo   # prints client_secret once',
    'curl -s -u "demo:<client_secret>" \\',
    '  http://127.0.0.1:8080/oauth/token',
    '```',
    '',
    '```json',
    '{"token_type":"Bearer"}',
    '```',
    '',
    'Prose.',
    '',
    '```json',
    '{"not":"output"}',
    '```',
    '```ts',
    'const x = 1;',
    '```',
  ].join('\n');

  it('finds shell blocks, the skip marker with its reason, and the json output that follows a block', () => {
    const blocks = extractBlocks('p.md', page);
    expect(blocks.map((b) => [b.name, b.skip])).toEqual([
      ['p.md:4', 'docker'],
      ['p.md:8', undefined],
    ]);
    expect(blocks[1]!.commands).toEqual([
      { text: 'npx tessera client create --id demo' },
      { text: 'curl -s -u "demo:<client_secret>" \\\n  http://127.0.0.1:8080/oauth/token', expected: '{"token_type":"Bearer"}' },
    ]);
  });

  it('a marker applies only to the block right after it', () => {
    const blocks = extractBlocks('p.md', '<!-- docs-test: skip (x) -->\nProse in between.\n```sh\necho hi\n```\n');
    expect(blocks[0]!.skip).toBeUndefined();
  });
});

describe('splitCommands', () => {
  it('keeps heredocs, $( ... ) over lines and trailing pipes in one command; reads a # {...} comment as output', () => {
    const cmds = splitCommands([
      "cat > a.json <<'EOF'",
      '{ "a": 1 }',
      'EOF',
      'TOKEN=$(curl -s x |',
      "  node -pe 'JSON.parse(require(\"fs\").readFileSync(0)).access_token')",
      'curl -s "$X"       # {"items":[...],"next":null}, by name',
      "echo '# not a comment'",
    ]);
    expect(cmds).toEqual([
      { text: "cat > a.json <<'EOF'\n{ \"a\": 1 }\nEOF" },
      { text: 'TOKEN=$(curl -s x |\n  node -pe \'JSON.parse(require("fs").readFileSync(0)).access_token\')' },
      { text: 'curl -s "$X"', expected: '{"items":[...],"next":null}' },
      { text: "echo '# not a comment'" },
    ]);
  });

  it('reads a # 201 comment as the status the page promises', () => {
    expect(splitCommands(['curl -s -X POST http://x/y   # 201', 'curl -s http://x/z   # 200, the client information'])).toEqual([
      { text: 'curl -s -X POST http://x/y', status: 201 },
      { text: 'curl -s http://x/z', status: 200 },
    ]);
  });

  it('runs only the prompted lines of a console transcript', () => {
    expect(splitCommands(['$ tessera keys      # schedule', 'rotation  every 30d', '$ tessera keys list'])).toEqual([{ text: 'tessera keys' }, { text: 'tessera keys list' }]);
  });
});

describe('outputMismatches', () => {
  it('ignores tokens, ids and elided values; compares stable values and the key set', () => {
    expect(outputMismatches('{"access_token":"eyJ...","token_type":"Bearer","expires_in":3600,"scope":"read"}', '{"access_token":"abc","token_type":"Bearer","expires_in":3600,"scope":"read"}')).toEqual([]);
    expect(outputMismatches('{"token_type":"Bearer","scope":"read"}', '{"token_type":"Bearer","scope":"read write"}')).toEqual(['$.scope: the page shows "read", got "read write"']);
    expect(outputMismatches('{"token_type":"Bearer"}', '{"token_type":"Bearer","scope":"read"}')).toEqual(['$.scope: in the output, not shown by the page']);
    expect(outputMismatches('{"token_type":"Bearer","scope":"read"}', '{"token_type":"Bearer"}')).toEqual(['$.scope: shown by the page, missing from the output']);
  });

  it('checks the keys an elided shape names, and fails when no JSON was printed', () => {
    expect(outputMismatches('{"items":[{client_id,kind,public_key}]}', '{"items":[{"client_id":"x","kind":"k","public_key":{}}]}')).toEqual([]);
    expect(outputMismatches('{"items":[{client_id,kind,public_key}]}', '{"items":[{"client_id":"x"}]}')).toHaveLength(2);
    expect(outputMismatches('{"a":1}', 'curl: (7) Failed to connect')).toHaveLength(1);
  });
});
