import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The built CLI (dist/, from `npm run build` or the install's prepare script), as users run it. */
export const BIN = resolve('bin/tessera.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/tessera.js ...args` in a child process; stdin gets `input` (or nothing) and is then closed. */
export function runCli(args: readonly string[], input = ''): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TESSERA_LOG_LEVEL: 'silent' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
