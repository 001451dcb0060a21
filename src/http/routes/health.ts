import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { publicFailureReason } from '../../store/errors.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { ENDPOINTS } from '../../endpoints.js';

export interface ReadinessProbe {
  name: string;
  check(): Promise<{ ok: boolean; detail?: string; required: boolean }>;
}

/** /healthz: the process answers. /readyz: the database answers (and optional dependencies are reported). */
export function healthRoutes(app: FastifyInstance, ctx: OAuthContext, probes: ReadinessProbe[]): void {
  app.get(ENDPOINTS.healthz, { schema: { summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get(ENDPOINTS.readyz, { schema: { summary: 'Readiness: database reachable' } }, async (_req, reply) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    let ready = true;
    try {
      await Promise.race([ctx.store.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref())]);
      checks.database = { ok: true };
    } catch (err) {
      ready = false;
      // /readyz is often public to a load balancer: report the kind of failure, never a host, port or query.
      checks.database = { ok: false, detail: publicFailureReason(err) };
    }
    for (const p of probes) {
      const r = await p.check();
      checks[p.name] = r.detail ? { ok: r.ok, detail: r.detail } : { ok: r.ok };
      if (!r.ok && r.required) ready = false;
    }
    reply.code(ready ? 200 : 503).header('cache-control', 'no-store');
    return { status: ready ? 'ready' : 'unavailable', checks };
  });
  for (const url of [ENDPOINTS.healthz, ENDPOINTS.readyz]) methodNotAllowed(app, url, ['GET', 'HEAD']);
}
