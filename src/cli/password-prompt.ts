import type { Readable, Writable } from 'node:stream';

/** A terminal input: what process.stdin is when it is a TTY. */
export interface TtyInput extends Readable {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export class PromptAborted extends Error {
  constructor() {
    super('password prompt cancelled');
    this.name = 'PromptAborted';
  }
}

/**
 * Reads one line from a terminal without echoing it: raw mode, so the terminal shows nothing as keys are typed.
 * Enter ends the line, Backspace/DEL removes the last character, Ctrl-U clears the line, Ctrl-C and Ctrl-D
 * (on an empty line) cancel. The terminal's previous mode is restored in every case.
 */
export function promptHidden(prompt: string, input: TtyInput, output: Writable): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw === true;
    let value = '';
    const finish = (err: Error | undefined) => {
      input.off('data', onData);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(undefined);
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return finish(new PromptAborted());
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    // Raw mode before the prompt shows: keys typed as soon as it appears must not be echoed.
    input.setRawMode?.(true);
    output.write(prompt);
    input.on('data', onData);
    input.resume();
  });
}

/** A new password typed twice on a terminal; a mismatch is refused rather than stored. */
export async function promptNewPassword(input: TtyInput, output: Writable): Promise<string> {
  const first = await promptHidden('New password: ', input, output);
  const second = await promptHidden('Repeat the password: ', input, output);
  if (first !== second) throw new Error('the two passwords differ; nothing was changed');
  return first;
}
