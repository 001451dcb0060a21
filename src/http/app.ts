import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { OAuthContext } from '../oauth/context.js';
import { clientErrorHandler, errorHandlerFor } from './errors.js';
import { installRequestGate } from './request-gate.js';
import { installConnectionLimit } from './connection-limit.js';
import { proxyTrust } from '../net/trusted-proxies.js';
import { requestIdFor } from './request-id.js';
import { writeRateLimitHeaders } from './rate-limit.js';
import { tokenRoute } from './routes/token.js';
import { discoveryRoutes, type DiscoveryState } from './routes/discovery.js';
import { healthRoutes, type ReadinessProbe } from './routes/health.js';
import type { RoutePlugin } from './plugins.js';
import { documentOnly } from './schemas.js';
import { notFound } from './method-not-allowed.js';
import { ENDPOINTS } from '../endpoints.js';
import { adminApi } from './admin/index.js';
import { installRequestLog } from './request-log.js';
import { installHttpTracing } from './tracing.js';
import { tracingOn } from '../observability/tracing.js';
import { metricsRoute } from './routes/metrics.js';
import { corsOnSend } from './cors.js';
import { consoleRoutes } from './console.js';
import type { TlsMaterial } from './tls.js';
import { clientCertificates } from './client-certificate.js';

const BODY_LIMIT = 64 * 1024;

const serializeJson = (data: unknown): string => JSON.stringify(data);

/** The raw request, with the time Tessera started on it (X-Response-Time). */
type TimedMessage = IncomingMessage & { tesseraStartedAt?: number };

/**
 * Fastify asks for the request id first thing after routing: the clock for X-Response-Time starts there.
 * (Fastify's own reply.elapsedTime starts only when Fastify has a logger or onResponse hooks, and says 0 else.)
 */
function idAndStartTime(req: IncomingMessage): string {
  (req as TimedMessage).tesseraStartedAt = performance.now();
  return requestIdFor(req);
}

/** Milliseconds since idAndStartTime, as X-Response-Time carries them. */
function responseTime(req: IncomingMessage): string {
  const started = (req as TimedMessage).tesseraStartedAt;
  return started === undefined ? '0.00' : (performance.now() - started).toFixed(2);
}

/**
 * How often Node looks for requests past their deadline: a fifth of the header deadline, at most once a second,
 * so a late request is cut off within its deadline plus at most a second (Node's default is every 30 s).
 */
function deadlineCheckInterval(http: Config['http']): number {
  return Math.max(20, Math.min(1000, Math.floor(Math.min(http.headersTimeoutMs, http.requestTimeoutMs) / 5)));
}

export interface AppOptions {
  logger: Logger;
  /** Addresses / CIDRs of the proxies whose X-Forwarded-For is believed (config trustProxy). */
  trustProxy: readonly string[];
  /** Connection deadlines and the per-address connection limit (config http). */
  http: Config['http'];
  logRequests: boolean;
  discovery: DiscoveryState;
  probes: ReadinessProbe[];
  /** Routes added by modules (http/plugins.ts). */
  plugins: RoutePlugin[];
  /**
   * The admin API (http/admin/): 'mounted' on this listener (the default), 'elsewhere' when it has a listener of
   * its own (config adminListen; here /admin/* is then a 404), or 'only' for that admin listener itself.
   */
  admin?: 'mounted' | 'elsewhere' | 'only';
  /**
   * The node's metrics text for /metrics, which is served where the admin API is (config metrics.enabled):
   * this process's metrics by default, the workers' sum in a cluster worker (observability/metrics-cluster.ts).
   */
  scrapeMetrics?: () => Promise<string>;
  /** TLS (config tls.*): the listener's, and the client CAs for forwarded client certificates (RFC 8705). */
  tls?: TlsMaterial;
}

/** The Fastify application: content parsing, headers, error mapping, OpenAPI, and the routes. */
export async function buildApp(ctx: OAuthContext, opts: AppOptions): Promise<FastifyInstance> {
  const onError = errorHandlerFor(opts.logger, ctx);
  const trusted = proxyTrust(opts.trustProxy);
  const serverOptions = {
    headersTimeout: opts.http.headersTimeoutMs,
    requestTimeout: opts.http.requestTimeoutMs,
    connectionsCheckingInterval: deadlineCheckInterval(opts.http),
  };
  const app: FastifyInstance = Fastify({
    // Fastify gets no logger: with one it checks a per-request child logger and puts 'finish' and 'error'
    // listeners on every response, ~0.8 us a request (3% of an introspection) even with request logging off.
    // Tessera logs itself: errors with the request id (errors.ts), one line per request when asked
    // (request-log.ts), start-up (cli/).
    logger: false,
    bodyLimit: BODY_LIMIT,
    // X-Forwarded-For counts only from the listed proxies: the client is the first untrusted hop from the right
    // (net/trusted-proxies.ts). With none listed Fastify keeps the peer address and its plainer request prototype.
    trustProxy: opts.trustProxy.length > 0 ? (address: string) => trusted(address) : false,
    // Deadlines for what a client sends (config http.*): its headers, then the whole request, both counted from
    // the request's first byte (a new connection's from its opening, so one that sends nothing is held to the
    // header deadline). Node answers a late request through clientErrorHandler (408) and closes the connection.
    // Fastify's default requestTimeout of 0 would switch Node's request deadline off.
    requestTimeout: opts.http.requestTimeoutMs,
    keepAliveTimeout: opts.http.keepAliveTimeoutMs,
    http: serverOptions,
    // Tessera terminates TLS itself (config tls.cert/key): the same deadlines, and every client asked for a certificate.
    ...(opts.tls?.server ? { https: { ...serverOptions, ...opts.tls.server } } : {}),
    genReqId: idAndStartTime,
    requestIdHeader: false,
    // While draining, the request gate answers 503 in the §5.2 shape (request-gate.ts), not Fastify.
    return503OnClosing: false,
    clientErrorHandler,
    // The router's own failures (a path that cannot be percent-decoded, FST_ERR_BAD_URL) are answered outside any
    // route: neither the error handler nor the onSend hook runs, so the usual headers are set here.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-request-id', request.id).header('x-response-time', responseTime(request.raw));
      onError(err, request, reply);
    },
    forceCloseConnections: 'idle',
    // Route schemas document the API (OpenAPI); they neither validate nor serialise. Requests are parsed and
    // checked by the OAuth layer (strict form/Basic/JSON parsers, RFC-shaped errors); responses are objects the
    // grants build field by field, and JSON.stringify (native) writes them as fast as a compiled serialiser for
    // bodies this small. Saying so here spares every process loading ajv and fast-json-stringify (~80 modules).
    schemaController: { compilersFactory: { buildValidator: (() => documentOnly) as never, buildSerializer: (() => () => serializeJson) as never } },
  });

  // RFC 8705 client certificates: only where they can arrive (a TLS listener, a proxy header); else no cost at all.
  const header = ctx.config.mtls.certificateHeader;
  app.decorate('clientCertificates', opts.tls?.server || header !== undefined ? clientCertificates(ctx, { header, trusted, clientCas: opts.tls?.clientCas ?? [] }) : null);

  const gate = installRequestGate(app.server);
  installConnectionLimit(app.server, { max: opts.http.maxConnectionsPerAddress, exempt: trusted, logger: opts.logger });
  // preClose runs as app.close() begins, before the server stops accepting and waits for in-flight requests.
  app.addHook('preClose', (done) => {
    gate.close();
    done();
  });

  // Bodies reach the OAuth layer as raw text: it parses strictly (duplicates, encoding) and signature
  // authentication needs the exact bytes. Any content type is accepted here so the endpoint, not Fastify,
  // decides what is unsupported and answers in the §5.2 shape.
  app.removeAllContentTypeParsers();
  const keepRawBody = (request: FastifyRequest, body: string | Buffer, done: (err: null, body: string) => void): void => {
    request.rawBody = body as string;
    done(null, body as string);
  };
  // The same parser under the common types too: Fastify caches the parser it found for a content type, but
  // never the '*' fallback, which would re-parse the Content-Type header of every form POST.
  for (const type of ['application/x-www-form-urlencoded', 'application/json', '*']) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: BODY_LIMIT }, keepRawBody);
  }

  // Callback style, not async: no promise and no extra microtask on every response. The duration histogram is
  // observed here too, from the same clock as X-Response-Time: an onResponse hook would make Fastify put
  // listeners on every response (see the logger note above).
  const metrics = ctx.config.metrics.enabled ? ctx.metrics : undefined;
  const admin = opts.admin ?? 'mounted';
  // Browser clients' CORS on the token endpoints (cors.ts): only for origins a client lists, off otherwise.
  const cors = admin !== 'only' ? corsOnSend(ctx) : undefined;
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.rateDecision) writeRateLimitHeaders(reply, request.rateDecision);
    reply.header('x-request-id', request.id);
    reply.header('x-response-time', responseTime(request.raw));
    if (metrics) {
      const started = (request.raw as TimedMessage).tesseraStartedAt;
      // The route pattern (request.routeOptions.url), never the raw URL: the label set stays bounded.
      if (started !== undefined) metrics.observeRequest(request.routeOptions.url, reply.statusCode, (performance.now() - started) / 1000);
    }
    const origin = request.headers.origin;
    if (cors && origin !== undefined) return cors(request, reply, origin, payload, done);
    done(null, payload);
  });

  // Both hooks exist only when switched on: off, a request pays nothing for them.
  if (tracingOn()) installHttpTracing(app);
  if (opts.logRequests) installRequestLog(app, opts.logger);

  app.setErrorHandler(onError);
  app.setNotFoundHandler(notFound);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tessera', description: 'OAuth 2.0 token service', version: '0.1.0' },
      servers: [{ url: ctx.config.issuer }],
      // The admin API's credential: a Tessera access token with scope tessera:admin (RFC 6750; docs/admin-api.md).
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An access token of this server with scope tessera:admin (or tessera:admin:read to read)' },
          // RFC 6749 §2.3.1: the token, introspection and revocation endpoints' client authentication (schemas.ts).
          client_secret_basic: { type: 'http', scheme: 'basic', description: 'Client authentication: username = client_id, password = client_secret (client_secret_basic)' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: ENDPOINTS.docs, staticCSP: true });

  if (admin !== 'only') {
    tokenRoute(app, ctx);
    discoveryRoutes(app, ctx, opts.discovery);
    healthRoutes(app, ctx, opts.probes);
  }
  app.get(ENDPOINTS.openapi, { schema: { hide: true } }, async () => app.swagger());
  if (admin !== 'only') for (const plugin of opts.plugins) await plugin(app, ctx, opts.discovery);
  if (admin !== 'elsewhere') await adminApi(app, ctx);
  // The web console (console.ts) lives with the admin API it drives.
  if (admin !== 'elsewhere' && ctx.config.console.enabled) consoleRoutes(app, ctx, admin === 'only');
  if (admin !== 'elsewhere' && ctx.config.metrics.enabled) metricsRoute(app, ctx, opts.scrapeMetrics ?? (() => ctx.metrics.render()));
  return app;
}
