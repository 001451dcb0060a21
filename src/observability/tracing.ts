import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';

/**
 * Tracing with the OpenTelemetry API (docs/operations.md, "Tracing"). The code names spans through these helpers;
 * the SDK that records and exports them is loaded only when the OTEL_* environment asks for it (otel-sdk.ts).
 *
 * Off, tracing must cost nothing measurable: every call site checks `tracingOn()` (one boolean, set once at
 * start-up by startTracing) before it builds a span name, an attribute object or a closure, and the HTTP hooks
 * and store/signer wrappers are not even installed. The switch is per process on purpose: the OpenTelemetry
 * tracer provider and context manager it stands for are process-global too (each `--workers` worker runs its own).
 */
let on = false;
let tracer: Tracer | undefined;

const TRACER_NAME = 'tessera';

/** Turns span creation on or off for this process (otel-sdk.ts; tests with an in-memory exporter). */
export function setTracing(enabled: boolean): void {
  on = enabled;
  tracer = enabled ? trace.getTracer(TRACER_NAME) : undefined;
}

/** The start-up switch every call site checks first. */
export function tracingOn(): boolean {
  return on;
}

export function getTracer(): Tracer {
  return tracer ?? trace.getTracer(TRACER_NAME);
}

/** Marks a span failed: the OAuth error code or the error's class, never its message (it may carry a value). */
export function failSpan(span: Span, err: unknown): void {
  const code = (err as { code?: unknown; name?: unknown } | null)?.code;
  const type = typeof code === 'string' ? code : err instanceof Error ? err.name : 'error';
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

function isPromise<T>(v: unknown): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs `fn` inside a child span of the active one and ends it when `fn` settles (synchronously or not). Callers
 * check tracingOn() first; off, this only calls fn.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => T, kind: SpanKind = SpanKind.INTERNAL): T {
  if (!on) return fn();
  const span = getTracer().startSpan(name, { kind, attributes });
  let result: T;
  try {
    result = context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    failSpan(span, err);
    span.end();
    throw err;
  }
  if (isPromise(result)) {
    return result.then(
      (v) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        failSpan(span, err);
        span.end();
        throw err;
      },
    ) as T;
  }
  span.end();
  return result;
}

/**
 * inSpan, but only inside a traced operation: store queries and Redis commands of background work (the change
 * feed poll every 250 ms, the cleanup) would otherwise each start a trace of their own.
 */
export function inChildSpan<T>(name: string, attributes: Attributes, fn: () => T, kind: SpanKind = SpanKind.INTERNAL): T {
  if (!on || trace.getSpan(context.active()) === undefined) return fn();
  return inSpan(name, attributes, fn, kind);
}

/** A child span of the active one, ended by the caller; undefined outside a traced operation or when off. */
export function startChildSpan(name: string, attributes: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span | undefined {
  if (!on || trace.getSpan(context.active()) === undefined) return undefined;
  return getTracer().startSpan(name, { kind, attributes });
}

export function endFailed(span: Span, err: unknown): void {
  failSpan(span, err);
  span.end();
}

/** A server span for an incoming request, child of the caller's trace when it sent W3C traceparent/tracestate. */
export function startServerSpan(name: string, headers: Record<string, string | string[] | undefined>, attributes: Attributes): { span: Span; context: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = getTracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` with `ctx` active (the request's server span), so the spans made inside become its children. */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** Adds traceparent (and tracestate) of the active span to outgoing request headers; a no-op when tracing is off. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (on) propagation.inject(context.active(), headers);
  return headers;
}

/** The active span, for attributes learnt later (client_id, grant_type); undefined when none or tracing is off. */
export function activeSpan(): Span | undefined {
  return on ? trace.getActiveSpan() : undefined;
}

export { SpanKind, SpanStatusCode };
