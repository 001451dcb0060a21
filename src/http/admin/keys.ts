import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { OAuthContext } from '../../oauth/context.js';
import { SIGNING_ALGS } from '../../keys/generate.js';
import { describeKeySchedule, describeSigningKey, retireSigningKey, rotateSigningKey } from '../../admin/signing-keys.js';
import { AdminNotFoundError, assertNoProblems, schemaProblems } from '../../admin/problems.js';
import { checkIfMatch, etagOf, jsonObject } from './request.js';
import { auditOf } from './audit.js';
import { problems, SECURITY } from './schemas.js';

const doc = (summary: string, extra: Record<string, unknown>) => ({ schema: { tags: ['admin'], summary, security: SECURITY, ...extra } });

// OpenAPI documentation only: what admin/signing-keys.ts shows of a key (never the private part).
export const KeyView = Type.Object(
  {
    kid: Type.String(),
    alg: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('pending'), Type.Literal('retired')], { description: 'pending: published in the JWKS, signs from activates_at on (scheduled rotation)' }),
    created_at: Type.String({ format: 'date-time' }),
    activates_at: Type.String({ format: 'date-time', description: 'when the key signs (or signed) from: a pending key\'s scheduled activation, else its creation' }),
    retired_at: Type.Optional(Type.String({ format: 'date-time', description: 'when a newer key replaced it; it signs nothing since' })),
    published_until: Type.Optional(Type.String({ format: 'date-time', description: 'a retired key stays in the JWKS until every token it signed has expired' })),
  },
  { description: 'A signing key as `tessera keys list --json` shows it: public parts only' },
);
const ScheduleView = Type.Object(
  {
    rotation: Type.Object({ enabled: Type.Boolean(), rotate_every: Type.Optional(Type.String()), pre_publish: Type.String() }),
    current: Type.Union([KeyView, Type.Null()]),
    next: Type.Union([
      Type.Null(),
      Type.Object({ published: Type.Boolean(), publish_at: Type.Optional(Type.String({ format: 'date-time' })), activates_at: Type.String({ format: 'date-time' }) }, { additionalProperties: true }),
    ]),
    retired: Type.Array(KeyView),
  },
  { description: 'The rotation schedule as `tessera keys` shows it (docs/tokens.md, "Signing-key rotation")' },
);
export const RotateBody = Type.Object({ alg: Type.Optional(Type.Union(SIGNING_ALGS.map((a) => Type.Literal(a)))) }, { additionalProperties: false, description: 'optional; alg defaults to the configured signingAlg' });

/**
 * Signing keys, thin over admin/signing-keys.ts as `tessera keys` is: list (public parts only) and rotate. The
 * store retires the active key and inserts the new one in one transaction and publishes the change, so every
 * node's key ring signs with the new key within a cache sync interval. Retiring without rotating takes one of
 * several active keys out of signing (never the last one: 409).
 */
export function keyRoutes(app: FastifyInstance, ctx: OAuthContext, prefix: string): void {
  const policy = { masterKey: ctx.masterKey, maxAccessTokenTtl: ctx.config.maxAccessTokenTtl, clockSkew: ctx.config.clockSkew };

  app.get('/keys', doc('List signing keys (active first, then newest; public parts only)', { response: { 200: Type.Object({ items: Type.Array(KeyView) }) } }), async () => {
    return { items: (await ctx.store.keys.list()).map(describeSigningKey) };
  });

  app.get('/keys/schedule', doc('The rotation schedule: current key, next key and its activation, retired keys and when they leave the JWKS', { response: { 200: ScheduleView } }), async () => {
    return describeKeySchedule(await ctx.store.keys.list(), ctx.config.keys, ctx.now());
  });

  app.get('/keys/:kid', doc('Get a signing key (public parts only)', { params: Type.Object({ kid: Type.String() }), response: { 200: KeyView, ...problems(404) } }), async (request: FastifyRequest<{ Params: { kid: string } }>, reply) => {
    const key = (await ctx.store.keys.list()).find((k) => k.kid === request.params.kid);
    if (!key) throw new AdminNotFoundError(`no signing key ${request.params.kid}`);
    const body = describeSigningKey(key);
    reply.header('etag', etagOf(body));
    return body;
  });

  app.post('/keys/rotate', doc('Rotate: a new active key; the old one is retired and stays published until its tokens expire', { body: RotateBody, response: { 201: KeyView, ...problems(400, 422) } }), async (request, reply) => {
    // The body is optional: without one the configured algorithm is used, as by `tessera keys rotate`.
    const input = request.body === undefined || request.body === null || request.body === '' ? {} : jsonObject(request);
    // Unknown fields here; the algorithm is admin/signing-keys.ts's to judge (the CLI's message).
    assertNoProblems(schemaProblems(RotateBody, input, '').filter((p) => p.path !== 'alg'));
    const alg = input.alg === undefined ? ctx.config.signingAlg : typeof input.alg === 'string' ? input.alg : JSON.stringify(input.alg);
    const key = await rotateSigningKey(ctx.store, alg, policy, auditOf(ctx, request));
    const body = describeSigningKey(key);
    reply.code(201).header('location', `${prefix}/keys/${encodeURIComponent(key.kid)}`).header('etag', etagOf(body));
    return body;
  });

  app.post('/keys/:kid/retire', doc('Retire one of several active keys without rotating: it signs nothing more and stays published until its tokens expire (409 for the only active key; If-Match honoured)', { params: Type.Object({ kid: Type.String() }), response: { 200: KeyView, ...problems(404, 409, 412) } }), async (request: FastifyRequest<{ Params: { kid: string } }>, reply) => {
    const { kid } = request.params;
    const existing = (await ctx.store.keys.list()).find((k) => k.kid === kid);
    if (!existing) throw new AdminNotFoundError(`no signing key ${kid}`);
    // A stale tag fails here; a change between this read and the write fails in the store's transaction (the
    // status read is the key's version), so of two retirements with one tag exactly one wins.
    checkIfMatch(request, etagOf(describeSigningKey(existing)));
    const cond = request.headers['if-match'] === undefined ? {} : { ifStatus: existing.status };
    const key = await retireSigningKey(ctx.store, kid, policy, auditOf(ctx, request), cond);
    const body = describeSigningKey(key);
    reply.header('etag', etagOf(body));
    return body;
  });
}
