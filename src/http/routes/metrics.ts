import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { authorizeMetrics } from '../admin/auth.js';
import { AdminHttpError, sendProblem } from '../admin/problem.js';

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics in the Prometheus text format (observability/metrics.ts). It requires a bearer token with scope
 * tessera:metrics or tessera:admin, checked and refused exactly as the admin API does (RFC 6750 challenge,
 * RFC 9457 problem), unless config metrics.public. `scrape` is the node's metrics: this process's, or with
 * --workers the sum over the workers (observability/metrics-cluster.ts).
 */
export function metricsRoute(app: FastifyInstance, ctx: OAuthContext, scrape: () => Promise<string>): void {
  app.get(METRICS_PATH, { schema: { hide: true } }, async (request, reply) => {
    try {
      if (!ctx.config.metrics.public) await authorizeMetrics(ctx, request.headers.authorization, request.ip);
    } catch (err) {
      if (err instanceof AdminHttpError) return sendProblem(reply, err);
      throw err;
    }
    let text: string;
    try {
      text = await scrape();
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message }, 'a metrics scrape failed');
      return sendProblem(reply, new AdminHttpError(503, 'The metrics could not be collected, retry later', { 'retry-after': '1' }));
    }
    return reply.header('cache-control', 'no-store').type(ctx.metrics.contentType).send(text);
  });
}
