/**
 * What the service tells operators about itself: `/metrics` (where, and behind which token) and
 * OpenTelemetry traces (the standard `OTEL_*` variables, read here and nowhere else).
 */
import { ConfigError } from './errors.js';

/** Where `/metrics` is served; both undefined: nowhere. */
export interface MetricsConfig {
  /** The operator's token (`--metrics-token` / CCA_METRICS_TOKEN): `/metrics` on the main port, and every `/metrics` asks for it. */
  token: string | undefined;
  /** A port of its own for `/metrics` (`--metrics-port` / CCA_METRICS_PORT; 0: any free port); undefined: none. */
  port: number | undefined;
  /** The address that port is bound to (`--metrics-host` / CCA_METRICS_HOST): loopback unless told. */
  host: string;
}

/** How traces are sampled (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG). */
export type SamplerConfig =
  | { kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number };

/** OpenTelemetry traces, exported over OTLP/HTTP (JSON). */
export interface TracingConfig {
  /** The full URL spans are POSTed to, e.g. http://collector:4318/v1/traces. */
  url: string;
  /** The URL as logs and the start-up message show it: without user, password or query, which may hold a credential. */
  shownUrl: string;
  /** Headers of every export (OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TRACES_HEADERS): often a credential. */
  headers: Record<string, string>;
  /** OTEL_SERVICE_NAME, else `service.name` of OTEL_RESOURCE_ATTRIBUTES, else claude-code-agent. */
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES, e.g. deployment.environment.name=prod. */
  resource: Record<string, string>;
  sampler: SamplerConfig;
}

/** The metrics flags as the CLI parsed them. */
export interface MetricsFlags {
  'metrics-token'?: string | undefined;
  'metrics-port'?: string | undefined;
  'metrics-host'?: string | undefined;
}

const TOKEN_HINT = 'e.g. the output of `openssl rand -hex 32`';

/**
 * Reads where `/metrics` is served: on the main port behind a token, on a port of its own, both, or (neither set) not at all.
 * @example parseMetrics({ 'metrics-port': '9464' }, env, 8080) // { token: undefined, port: 9464, host: '127.0.0.1' }
 */
export function parseMetrics(flags: MetricsFlags, env: NodeJS.ProcessEnv, mainPort: number): MetricsConfig {
  const pick = (flag: string | undefined, name: string) => nonEmpty(flag) ?? nonEmpty(env[name]);
  const token = pick(flags['metrics-token'], 'CCA_METRICS_TOKEN');
  // The token's value is never echoed: it is a credential.
  if (token !== undefined && !/^[\x21-\x7e]{16,512}$/.test(token)) {
    throw new ConfigError(
      `--metrics-token / CCA_METRICS_TOKEN must be 16 to 512 printable characters without spaces (${TOKEN_HINT}); the value given is not.`,
    );
  }
  const rawPort = pick(flags['metrics-port'], 'CCA_METRICS_PORT');
  const rawHost = pick(flags['metrics-host'], 'CCA_METRICS_HOST');
  let port: number | undefined;
  if (rawPort !== undefined) {
    port = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || port > 65_535) {
      throw new ConfigError(`--metrics-port / CCA_METRICS_PORT must be a port from 0 to 65535 (0: any free port); got "${rawPort}".`);
    }
    if (port !== 0 && port === mainPort) {
      throw new ConfigError(
        `--metrics-port / CCA_METRICS_PORT is ${port}, the service's own port: give it another one, or drop it and serve /metrics on the main port with --metrics-token.`,
      );
    }
  }
  if (rawHost !== undefined && port === undefined) {
    throw new ConfigError('--metrics-host / CCA_METRICS_HOST needs --metrics-port / CCA_METRICS_PORT: it is the address of that port.');
  }
  return { token, port, host: rawHost ?? '127.0.0.1' };
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * Reads the standard OpenTelemetry variables; undefined (tracing off) unless an OTLP endpoint is set.
 * @example parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })?.url // 'http://collector:4318/v1/traces'
 */
export function parseTracing(env: NodeJS.ProcessEnv): TracingConfig | undefined {
  if ((nonEmpty(env.OTEL_SDK_DISABLED) ?? '').toLowerCase() === 'true') return undefined;
  const exporter = (nonEmpty(env.OTEL_TRACES_EXPORTER) ?? 'otlp').toLowerCase();
  if (exporter === 'none') return undefined;
  if (exporter !== 'otlp') {
    throw new ConfigError(
      `OTEL_TRACES_EXPORTER must be "otlp" or "none" (this service exports traces over OTLP/HTTP only); got "${exporter}".`,
    );
  }
  const url = tracesUrl(env);
  if (url === undefined) return undefined;
  const protocolVar = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = nonEmpty(env[protocolVar]);
  // OTLP/HTTP receivers take JSON and protobuf on the same path: http/protobuf is honoured by sending JSON there.
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new ConfigError(
      `${protocolVar} is "${protocol}"; this service exports over OTLP/HTTP (JSON), so use "http/json" and the collector's HTTP port (4318 by default), not gRPC.`,
    );
  }
  const resource = keyValues('OTEL_RESOURCE_ATTRIBUTES', env.OTEL_RESOURCE_ATTRIBUTES, true);
  const parsed = new URL(url);
  return {
    url,
    shownUrl: `${parsed.protocol}//${parsed.host}${parsed.pathname}`,
    headers: {
      ...keyValues('OTEL_EXPORTER_OTLP_HEADERS', env.OTEL_EXPORTER_OTLP_HEADERS, false),
      ...keyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, false),
    },
    serviceName: nonEmpty(env.OTEL_SERVICE_NAME) ?? resource['service.name'] ?? 'claude-code-agent',
    resource,
    sampler: parseSampler(nonEmpty(env.OTEL_TRACES_SAMPLER), nonEmpty(env.OTEL_TRACES_SAMPLER_ARG)),
  };
}

/** The traces URL: the signal's own endpoint as given, else the base endpoint with `/v1/traces` (the OTLP spec's rule). */
function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const own = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const [name, raw] = own !== undefined ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', own] : ['OTEL_EXPORTER_OTLP_ENDPOINT', base];
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL such as http://127.0.0.1:4318; got "${raw}".`);
  }
  if (own !== undefined) return url.href;
  return `${url.href.replace(/\/+$/, '')}/v1/traces`;
}

/** `key=value,key2=value2` with percent-encoded values (the W3C Baggage form the OTel variables use). */
function keyValues(name: string, raw: string | undefined, showValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (raw ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf('=');
    const key = at < 0 ? '' : entry.slice(0, at).trim();
    let value: string | undefined;
    try {
      value = at < 0 ? undefined : decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      value = undefined;
    }
    if (key === '' || value === undefined || /[\r\n]/.test(key + value)) {
      // Header values are often credentials: name the key, never the value.
      const shown = showValue ? `"${entry.trim()}"` : key !== '' ? `for "${key}"` : '(without "=")';
      throw new ConfigError(`${name} must be key=value pairs separated by commas (values percent-encoded); the entry ${shown} is not.`);
    }
    out[key] = value;
  }
  return out;
}

function parseSampler(raw: string | undefined, arg: string | undefined): SamplerConfig {
  const kind = (raw ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(kind)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}; got "${raw}".`);
  }
  if (kind !== 'traceidratio' && kind !== 'parentbased_traceidratio') return { kind: kind as 'always_on' };
  const ratio = arg === undefined ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 for ${kind}; got "${arg}".`);
  }
  return { kind, ratio };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
