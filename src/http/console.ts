import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import type { OAuthContext } from '../oauth/context.js';
import { ENDPOINTS } from '../endpoints.js';

/**
 * The web console's files as esbuild wrote them (scripts/bundle.mjs -> dist/console/): beside the compiled
 * modules (dist/http/console.js), beside the bundle (dist/tessera.mjs), or, running from source (tests), in dist/.
 */
const CANDIDATES = ['../console/', './console/', '../../dist/console/'];

/** The files the console is made of: its page, its script and its style sheet, nothing else. */
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

export function consoleAssetsDir(): string | undefined {
  for (const c of CANDIDATES) {
    const dir = fileURLToPath(new URL(c, import.meta.url));
    if (existsSync(dir + 'index.html') && existsSync(dir + 'app.js')) return dir;
  }
  return undefined;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const asset = (body: Buffer | string, type: string): Asset => {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  return { body: b, type, etag: `"${createHash('sha256').update(b).digest('base64url').slice(0, 22)}"` };
};

/**
 * The headers of every console answer. No inline script or style (nothing 'unsafe-*'), nothing from another
 * origin but, on a separate admin listener, the token endpoints at the issuer; no framing (frame-ancestors, and
 * X-Frame-Options for old browsers); no Referer leaves the console; types are never sniffed.
 */
export function consoleHeaders(tokenOrigin: string | null): Record<string, string> {
  const connect = tokenOrigin ? `'self' ${tokenOrigin}` : "'self'";
  return {
    'content-security-policy': `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}

/**
 * GET /console: the console's page and its two files (console/, DESIGN.md), read once when the app is built and
 * served from memory. Only these routes exist under /console, so nothing here touches the token hot path. On the
 * main listener the console calls /oauth/* on its own origin; on a separate admin listener (`separate`) it calls
 * them at the issuer, which the page names in a meta element (no inline script) and the CSP allows.
 */
export function consoleRoutes(app: FastifyInstance, ctx: OAuthContext, separate: boolean): void {
  const dir = consoleAssetsDir();
  const files = new Map<string, Asset>();
  let html = '';
  if (dir) {
    html = readFileSync(dir + 'index.html', 'utf8');
    for (const [name, type] of Object.entries(ASSETS)) files.set(name, asset(readFileSync(dir + name), type));
  }
  // The issuer of an ephemeral port is known only once the main listener listens (server.ts resolveIssuer), so
  // the page and the headers that name it are made at the first request.
  let made: { headers: Record<string, string>; page: Asset | undefined } | undefined;
  const prepared = () => {
    if (made) return made;
    const tokenOrigin = separate ? new URL(ctx.config.issuer).origin : null;
    made = { headers: consoleHeaders(tokenOrigin), page: dir ? asset(html.replace('content="__TESSERA_TOKEN_ORIGIN__"', `content="${tokenOrigin ?? ''}"`), 'text/html; charset=utf-8') : undefined };
    return made;
  };
  const send = (reply: FastifyReply, a: Asset | undefined, ifNoneMatch: string | undefined) => {
    reply.headers(prepared().headers);
    if (!a) {
      // Source checkout without a build: say so rather than serve a blank page.
      return reply.code(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('The console is not built: run `npm run build`.\n');
    }
    reply.header('cache-control', 'no-cache').header('etag', a.etag);
    if (ifNoneMatch === a.etag) return reply.code(304).send();
    return reply.type(a.type).send(a.body);
  };
  const base = ENDPOINTS.console;
  const hide = { schema: { hide: true } };
  app.get(base, hide, (_request, reply) => reply.headers(prepared().headers).redirect(`${base}/`, 301));
  app.get(`${base}/`, hide, (request, reply) => send(reply, prepared().page, request.headers['if-none-match']));
  app.get(`${base}/:file`, hide, (request, reply) => {
    const { file } = request.params as { file: string };
    const a = files.get(file);
    if (!a && dir) return reply.headers(prepared().headers).code(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('Not found\n');
    return send(reply, a, request.headers['if-none-match']);
  });
}
