/**
 * Extracts the runnable examples of a markdown page for the docs test (test/docs/docs.test.ts): its shell blocks
 * (```sh, ```bash, ```console), split into commands, each with the output the page shows for it.
 *
 * Conventions (docs/testing.md, "The docs test"):
 * - `<!-- docs-test: skip (reason) -->` right before a block (blank lines between are fine) marks it as not runnable
 *   here; the test lists it by name with its reason.
 * - A ```json block that follows a shell block with only blank lines between is that block's output: the output of
 *   its last command.
 * - A trailing `# {...}` (or `# [...]`) comment on a command is that command's output.
 */

export interface DocCommand {
  /** The command's text as the page shows it (continuation lines and heredoc bodies included, comment removed). */
  text: string;
  /** The output the page shows for this command, if any (JSON text, possibly with `...` elisions). */
  expected?: string;
  /** The HTTP status a trailing `# 201` / `# 404, ...` comment gives for the command's answer. */
  status?: number;
}

export interface DocBlock {
  /** `page:line`, the line of the opening fence: how the test names a block. */
  name: string;
  line: number;
  skip?: string;
  commands: DocCommand[];
}

const SHELL = new Set(['sh', 'bash', 'console', 'shell']);
const SKIP = /^<!--\s*docs-test:\s*skip\s*\((.+?)\)\s*-->\s*$/;

/** The shell blocks of a page, in order. */
export function extractBlocks(page: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  let pendingSkip: string | undefined;
  let last: { block: DocBlock; endLine: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const skip = SKIP.exec(line.trim());
    if (skip) {
      pendingSkip = skip[1];
      continue;
    }
    const fence = /^(\s*)(```+)\s*([\w-]*)/.exec(line);
    if (!fence) {
      if (line.trim() !== '') pendingSkip = undefined;
      continue;
    }
    const indent = fence[1]!.length;
    const lang = fence[3]!.toLowerCase();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(fence[2]!); j++) body.push(lines[j]!.slice(Math.min(indent, lines[j]!.length - lines[j]!.trimStart().length)));
    const adjacent = last !== undefined && lines.slice(last.endLine + 1, i).every((l) => l.trim() === '');
    if (SHELL.has(lang)) {
      const block: DocBlock = { name: `${page}:${i + 1}`, line: i + 1, commands: splitCommands(body) };
      if (pendingSkip !== undefined) block.skip = pendingSkip;
      blocks.push(block);
      last = { block, endLine: j };
    } else {
      if (lang === 'json' && adjacent && last!.block.commands.length > 0) {
        const cmd = last!.block.commands[last!.block.commands.length - 1]!;
        cmd.expected ??= body.join('\n');
      }
      last = undefined;
    }
    pendingSkip = undefined;
    i = j;
  }
  return blocks;
}

/** A trailing ` # {...}` / ` # [...]` comment: the output the page shows for the command. */
const OUTPUT_COMMENT = /\s+#\s*([[{].*)$/;

/** Splits a block into commands: `\` continuations, heredocs, open `$(` and trailing `|`/`&&`/`||` join lines. */
export function splitCommands(block: readonly string[]): DocCommand[] {
  // A console transcript (`$ command` lines, output lines between): only the prompted lines are commands.
  const prompted = block.some((l) => l.startsWith('$ '));
  const body = prompted ? block.filter((l) => l.startsWith('$ ')).map((l) => l.slice(2)) : block;
  const commands: DocCommand[] = [];
  let current: string[] = [];
  let expected: string | undefined;
  let status: number | undefined;
  let heredoc: string | undefined;
  for (const raw of body) {
    if (heredoc !== undefined) {
      current.push(raw);
      if (raw.trim() === heredoc) heredoc = undefined;
      if (heredoc === undefined && !continues(current)) flush();
      continue;
    }
    if (current.length === 0 && (raw.trim() === '' || raw.trim().startsWith('#'))) continue;
    let line = raw;
    const out = OUTPUT_COMMENT.exec(line);
    if (out && !insideQuotes(line, out.index)) {
      expected = balanced(out[1]!);
      line = line.slice(0, out.index);
    } else {
      const stripped = stripComment(line);
      const code = /^#\s*([1-5]\d\d)\b/.exec(line.slice(stripped.length).trim());
      if (code) status = Number(code[1]);
      line = stripped;
    }
    current.push(line);
    const here = /<<-?\s*['"]?(\w+)['"]?/.exec(line.replace(/<<</g, ''));
    if (here) {
      heredoc = here[1];
      continue;
    }
    if (!continues(current)) flush();
  }
  if (current.length > 0) flush();
  return commands;

  function flush(): void {
    const cmd: DocCommand = { text: current.join('\n') };
    if (expected !== undefined) cmd.expected = expected;
    if (status !== undefined) cmd.status = status;
    commands.push(cmd);
    current = [];
    expected = undefined;
    status = undefined;
  }
}

function continues(lines: readonly string[]): boolean {
  const text = lines.join('\n');
  const last = lines[lines.length - 1]!.trimEnd();
  if (/(\\|\||&&)$/.test(last)) return true;
  return (text.match(/\(/g) ?? []).length > (text.match(/\)/g) ?? []).length;
}

/** The leading balanced `{...}` / `[...]` of a comment (`{"items":[...]}, by name` gives `{"items":[...]}`). */
function balanced(text: string): string {
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '{' || text[k] === '[') depth++;
    else if (text[k] === '}' || text[k] === ']') depth--;
    if (depth === 0) return text.slice(0, k + 1);
  }
  return text;
}

function insideQuotes(line: string, index: number): boolean {
  let single = false;
  let double = false;
  for (let k = 0; k < index; k++) {
    const c = line[k];
    if (c === "'" && !double) single = !single;
    else if (c === '"' && !single && line[k - 1] !== '\\') double = !double;
  }
  return single || double;
}

/** Removes a trailing ` # comment` (outside quotes). */
function stripComment(line: string): string {
  for (let k = 1; k < line.length; k++) {
    if (line[k] === '#' && /\s/.test(line[k - 1]!) && !insideQuotes(line, k)) return line.slice(0, k).trimEnd();
  }
  return line;
}
