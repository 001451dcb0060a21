import type { Store } from '../store/types.js';
import type { JwtSigner } from '../keys/signing-thread.js';
import { inChildSpan, SpanKind } from './tracing.js';

/** Wraps every method of one store aggregate in a client span named `store <aggregate>.<method>`. */
function tracedAggregate<T extends object>(aggregate: string, target: T, system: string): T {
  const wrapped = new Map<string, unknown>();
  return new Proxy(target, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      let w = wrapped.get(prop);
      if (!w) {
        const name = `store ${aggregate}.${prop}`;
        const attributes = { 'db.system.name': system, 'db.operation.name': `${aggregate}.${prop}` };
        const method = value as (...args: unknown[]) => unknown;
        w = (...args: unknown[]) => inChildSpan(name, attributes, () => method.apply(t, args), SpanKind.CLIENT);
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}

/**
 * The store with a span around every operation a traced request makes (installed only when tracing is on, so
 * the untraced hot path keeps its direct calls). One wrapper at the interface covers both engines, the raw-SQL
 * hot paths included, where a Kysely plugin would see only the statements Kysely builds.
 */
export function tracedStore(store: Store): Store {
  const system = store.dialect === 'postgres' ? 'postgresql' : 'sqlite';
  const aggregates = new Map<string, unknown>();
  return new Proxy(store, {
    get(t, prop) {
      const value: unknown = Reflect.get(t, prop, t);
      if (prop === 'transaction') {
        return <R>(fn: (s: Store) => Promise<R>) => inChildSpan('store transaction', { 'db.system.name': system }, () => t.transaction((inner) => fn(tracedStore(inner))), SpanKind.CLIENT);
      }
      if (prop === 'ping') return () => inChildSpan('store ping', { 'db.system.name': system }, () => t.ping(), SpanKind.CLIENT);
      if (typeof prop !== 'string' || value === null || typeof value !== 'object') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      let a = aggregates.get(prop);
      if (!a) {
        a = tracedAggregate(prop, value, system);
        aggregates.set(prop, a);
      }
      return a;
    },
  });
}

/** The JWT signer with a span per signature (the signing thread's hand-off and queue included). */
export function tracedSigner(signer: JwtSigner): JwtSigner {
  return {
    sign: (key, input) => inChildSpan('sign jwt', { 'tessera.kid': key.kid, 'tessera.alg': key.alg, 'tessera.signing_thread': signer.threaded }, () => signer.sign(key, input)),
    close: () => signer.close(),
    queueDepth: () => signer.queueDepth(),
    get threaded() {
      return signer.threaded;
    },
  };
}
