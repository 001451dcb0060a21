import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Context, Span } from '@opentelemetry/api';
import { failSpan, SpanStatusCode, startServerSpan, withContext } from '../observability/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span and its context (tracing on only). */
    trace?: { span: Span; context: Context };
  }
}

/** The route as registered (`/oauth/token`), never the raw URL: low-cardinality span names, no query strings. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/**
 * The server span of every request (installed only when tracing is on, app.ts). Started on arrival, child of the
 * caller's W3C traceparent; activated for the handler in preHandler (after the body is read: a stream's events
 * do not run in the context of the hook that started it); ended on response with the status.
 */
export function installHttpTracing(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = routeOf(request);
    request.trace = startServerSpan(`${request.method} ${route}`, request.headers, {
      'http.request.method': request.method,
      'http.route': route,
      'url.path': request.url.split('?')[0]!,
      'tessera.request_id': request.id,
    });
    done();
  });
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.trace) withContext(request.trace.context, done);
    else done();
  });
  app.addHook('onError', (request, _reply, err, done) => {
    if (request.trace) request.trace.span.setAttribute('error.type', (err as { code?: string }).code ?? err.name);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const t = request.trace;
    if (t) {
      t.span.setAttribute('http.response.status_code', reply.statusCode);
      if (request.tokenFacts?.clientId) t.span.setAttribute('oauth.client_id', request.tokenFacts.clientId);
      if (request.tokenFacts?.grantType) t.span.setAttribute('oauth.grant_type', request.tokenFacts.grantType);
      if (reply.statusCode >= 500) failSpan(t.span, { code: String(reply.statusCode) });
      else t.span.setStatus({ code: SpanStatusCode.UNSET });
      t.span.end();
    }
    done();
  });
}
