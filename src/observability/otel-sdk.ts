import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { setTracing } from './tracing.js';

/** What startTracing started: flush and stop it at shutdown. */
export interface TracingHandle {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when config.tracing names an exporter (config.ts readTracing: the standard OTEL_*
 * variables). The SDK and the exporter are imported only then, so a server without tracing never loads them.
 * The provider is registered globally (tracer provider, AsyncLocalStorage context manager, W3C trace-context
 * propagator), spans are batched off the request path, and the exporter reads its endpoint, headers and timeout
 * from OTEL_EXPORTER_OTLP_* itself. One per process: each `--workers` worker starts its own.
 */
export async function startTracing(settings: Config['tracing'], logger: Logger, meta: { version: string }): Promise<TracingHandle | undefined> {
  if (settings.exporter === 'none') {
    setTracing(false);
    return undefined;
  }
  const sdk = await import('@opentelemetry/sdk-trace-node');
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = await import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = await import('@opentelemetry/semantic-conventions');
  const exporter =
    settings.exporter === 'otlp' ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter() : new sdk.ConsoleSpanExporter();
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: meta.version, 'process.pid': process.pid }));
  const provider = new sdk.NodeTracerProvider({
    resource,
    // A caller's sampling decision (traceparent flags) is kept; our own roots are sampled at the configured ratio.
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  provider.register();
  setTracing(true);
  logger.info({ exporter: settings.exporter, service: settings.serviceName, sampleRatio: settings.sampleRatio }, 'tracing on (OpenTelemetry)');
  return {
    async shutdown() {
      setTracing(false);
      // Flushes what is batched; a collector that does not answer must not hold the shutdown for long.
      await Promise.race([provider.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}
