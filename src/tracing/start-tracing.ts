/**
 * Traces for the service: when an OTLP endpoint is configured, an SDK tracer provider exporting
 * spans in batches over OTLP/HTTP (JSON); otherwise a tracer that records nothing, and the SDK is
 * never loaded.
 */
import { context, type Tracer } from '@opentelemetry/api';
import type { SamplerConfig, TracingConfig } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { NO_TRACER } from './in-span.js';

/** The service's tracer, and how to flush and stop it. */
export interface Tracing {
  tracer: Tracer;
  /** Whether spans are exported. */
  enabled: boolean;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and stops (shutdown). */
  shutdown(): Promise<void>;
}

/** Tracing off. */
export const NO_TRACING: Tracing = { tracer: NO_TRACER, enabled: false, flush: async () => {}, shutdown: async () => {} };

let contextManagerSet = false;

/**
 * Starts tracing as configured (undefined: off, nothing loaded).
 * @example const tracing = await startTracing(config.tracing, VERSION, logger); ...; await tracing.shutdown();
 */
export async function startTracing(config: TracingConfig | undefined, version: string, logger: Logger): Promise<Tracing> {
  if (config === undefined) return NO_TRACING;
  const [{ AsyncLocalStorageContextManager }, sdk, { OTLPTraceExporter }, { defaultResource, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  // One per process (a second registration is refused): it carries the active span across awaits,
  // so the steps of an invocation nest under its request whatever service of the process runs it.
  if (!contextManagerSet) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const exporter = new OTLPTraceExporter({ url: config.url, headers: config.headers });
  const log = logger.child({ component: 'tracing' });
  let lastWarning = 0;
  const provider = new sdk.TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ ...config.resource, 'service.name': config.serviceName, 'service.version': version }),
    ),
    sampler: samplerOf(config.sampler, sdk),
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter: {
          export: (spans, done) =>
            exporter.export(spans, (result) => {
              // Code 0 is success. A collector that is down must not fill the log: one line a minute.
              if (result.code !== 0 && Date.now() - lastWarning > 60_000) {
                lastWarning = Date.now();
                log.warn({ err: result.error, url: config.shownUrl, spans: spans.length }, 'could not export spans to the OTLP endpoint');
              }
              done(result);
            }),
          shutdown: () => exporter.shutdown(),
          forceFlush: () => exporter.forceFlush(),
        },
      }),
    ],
  });
  log.info({ url: config.shownUrl, service: config.serviceName, sampler: config.sampler.kind }, 'exporting traces over OTLP/HTTP');
  return {
    tracer: provider.getTracer('claude-code-agent', version),
    enabled: true,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

type Sdk = typeof import('@opentelemetry/sdk-trace');

function samplerOf(config: SamplerConfig, sdk: Sdk) {
  const kind = config.kind;
  const root =
    'ratio' in config
      ? new sdk.TraceIdRatioBasedSampler(config.ratio)
      : kind.endsWith('always_off')
        ? new sdk.AlwaysOffSampler()
        : new sdk.AlwaysOnSampler();
  return kind.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root;
}
