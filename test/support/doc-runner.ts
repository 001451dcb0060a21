import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN } from './cli-run.js';

/**
 * Runs a docs page's commands in order, as a reader would in one terminal: bash in a temp working directory, shell
 * variables carried from command to command, against a fresh Tessera (`node bin/tessera.js serve`) on an ephemeral
 * port with its own data dir. What the page writes differently from here is substituted: `npx tessera` is the
 * built CLI (so is `node bin/tessera.js`, run from the repository; a bare `tessera`
 * is not on a reader's PATH, docs/cli.md, and fails here too), `http://127.0.0.1:8080` the server's URL, and `<name>` placeholders are values printed earlier
 * (`client_secret` from `client create`, for instance).
 */
export class DocSession {
  readonly work = mkdtempSync(join(tmpdir(), 'tessera-docs-'));
  readonly dataDir = join(this.work, 'data');
  private readonly state = join(this.work, '.docs-test-state.sh');
  private server: ChildProcess | undefined;
  private port = 0;
  /** Values printed so far, by name (latest wins): the `<name>` placeholders. */
  readonly captured = new Map<string, string>();

  /** Runs one command; a `npx tessera serve ...` command (re)starts the server with its flags instead. */
  async run(text: string): Promise<{ code: number | null; stdout: string; stderr: string; statuses: number[] }> {
    const serve = /^((?:[A-Z_]+=(?:"[^"]*"|'[^']*'|\S+)\s+)*)(?:npx tessera|node bin\/tessera\.js) serve\b(.*)$/.exec(text.trim());
    if (serve) {
      const env = Object.fromEntries([...serve[1]!.matchAll(/([A-Z_]+)=("[^"]*"|'[^']*'|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2')]));
      await this.startServer(serve[2]!.trim().split(/\s+/).filter(Boolean), env);
      return { code: 0, stdout: '', stderr: '', statuses: [] };
    }
    if (!this.server) await this.startServer([], {});
    const missing: string[] = [];
    const script = text
      .replace(/\bnpx tessera\b|\bnode bin\/tessera\.js\b/g, `node ${BIN}`)
      .replace(/(https?:\/\/)(127\.0\.0\.1|localhost):8080/g, `http://127.0.0.1:${this.port}`)
      .replace(/<([a-z][a-z_]*)>/g, (whole, name: string) => {
        const value = this.captured.get(name);
        if (value === undefined) missing.push(name);
        return value ?? whole;
      });
    if (missing.length > 0) return { code: 1, stdout: '', stderr: `placeholder(s) never printed earlier on the page: ${missing.join(', ')}`, statuses: [] };
    // curl reports each answer's status on stderr, so a 404 that `curl -s` would hide is seen.
    const wrapped = `${CURL_STATUS}\nset -a\n[ -f ${this.state} ] && . ${this.state}\nset -eo pipefail\n${script}\n__rc=$?\nexport -p | grep -Ev '^declare -x (PWD|OLDPWD|SHLVL|_)=' > ${this.state}\nexit $__rc\n`;
    const result = await exec('bash', ['-c', wrapped], this.work, this.env());
    this.capture(result.stdout);
    const statuses = [...result.stderr.matchAll(/^@@docs-test-status (\d{3})$/gm)].map((m) => Number(m[1]));
    return { ...result, stderr: result.stderr.replace(/^@@docs-test-status \d{3}\n/gm, ''), statuses };
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, TESSERA_DATA_DIR: this.dataDir, TESSERA_LOG_LEVEL: 'silent' };
  }

  private capture(stdout: string): void {
    for (const line of stdout.split('\n')) {
      const table = /^([a-z][a-z_]*)\s{2,}(\S+)\s*$/.exec(line) ?? /^([A-Za-z][\w-]*)\s*[:=]\s*(\S+)\s*$/.exec(line.trimEnd());
      if (table) this.captured.set(table[1]!.toLowerCase(), table[2]!.replace(/^"(.*)"$/, '$1')); // an ETag without its quotes
      const json = /"([a-z][a-z_]*)"\s*:\s*"([^"]+)"/g;
      for (const m of line.matchAll(json)) this.captured.set(m[1]!, m[2]!);
    }
  }

  private async startServer(flags: string[], env: Record<string, string>): Promise<void> {
    await this.stopServer();
    // A restart keeps the port: the issuer (http://127.0.0.1:PORT) and so the tokens already issued stay valid.
    if (this.port === 0) this.port = await freePort();
    const args = [BIN, 'serve', ...flags.map((f) => (/^[\w./-]+\.json$/.test(f) ? resolve(this.work, f) : f)), '--port', String(this.port), '--host', '127.0.0.1'];
    const child = spawn(process.execPath, args, { cwd: this.work, env: { ...this.env(), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    this.server = child;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`tessera serve ${flags.join(' ')} exited ${child.exitCode}: ${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/.well-known/oauth-authorization-server`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`tessera serve did not answer within 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async stopServer(): Promise<void> {
    const child = this.server;
    this.server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    await this.stopServer();
    rmSync(this.work, { recursive: true, force: true });
  }

  /** For a test that wants a file in the working directory before the page's commands run. */
  write(name: string, text: string): void {
    writeFileSync(join(this.work, name), text);
  }
}

const CURL_STATUS = `curl() { command curl -w '%{stderr}@@docs-test-status %{http_code}\\n' "$@"; }`;

function exec(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}
