import { describe, expect, it } from 'vitest';
import { configError } from '../../test/support/config-error.js';
import { loadConfig } from './index.js';
import { parseMetrics, parseTracing } from './telemetry.js';

const TOKEN = 'a'.repeat(32);

describe('parseMetrics', () => {
  it('is off when neither a token nor a port is set', () => {
    expect(parseMetrics({}, {}, 8080)).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
    expect(loadConfig({}, {}).metrics).toEqual({ token: undefined, port: undefined, host: '127.0.0.1' });
  });

  it('reads the token, port and host; flags beat the environment', () => {
    const env = { CCA_METRICS_TOKEN: TOKEN, CCA_METRICS_PORT: '9464', CCA_METRICS_HOST: '0.0.0.0' };
    expect(parseMetrics({}, env, 8080)).toEqual({ token: TOKEN, port: 9464, host: '0.0.0.0' });
    const flags = { 'metrics-token': 'b'.repeat(20), 'metrics-port': '0', 'metrics-host': '::1' };
    expect(parseMetrics(flags, env, 8080)).toEqual({ token: 'b'.repeat(20), port: 0, host: '::1' });
    expect(loadConfig({ 'metrics-port': '9100' }, {}).metrics.port).toBe(9100);
  });

  it.each(['short', `${'a'.repeat(20)} with space`, `${'a'.repeat(20)}\u00e9`, 'x'.repeat(513)])(
    'refuses a weak or unusable token without echoing it (%#)',
    (token) => {
      const message = configError(() => parseMetrics({ 'metrics-token': token }, {}, 8080));
      expect(message).toContain('--metrics-token / CCA_METRICS_TOKEN');
      expect(message).toContain('openssl rand -hex 32');
      expect(message).not.toContain(token);
    },
  );

  it.each(['abc', '-1', '70000', '80.5'])('refuses port %j', (port) => {
    expect(configError(() => parseMetrics({ 'metrics-port': port }, {}, 8080))).toContain(`--metrics-port / CCA_METRICS_PORT`);
  });

  it("refuses the service's own port, and a host without a port", () => {
    expect(configError(() => parseMetrics({ 'metrics-port': '8080' }, {}, 8080))).toContain("the service's own port");
    expect(configError(() => parseMetrics({}, { CCA_METRICS_HOST: '0.0.0.0' }, 8080))).toContain('needs --metrics-port');
  });
});

describe('parseTracing', () => {
  it('is off unless an OTLP endpoint is set', () => {
    expect(parseTracing({})).toBeUndefined();
    expect(parseTracing({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_HEADERS: 'a=b' })).toBeUndefined();
    expect(loadConfig({}, {}).tracing).toBeUndefined();
  });

  it('appends /v1/traces to the base endpoint and takes the traces endpoint as it is', () => {
    expect(parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })?.url).toBe('http://collector:4318/v1/traces');
    expect(parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c.example/otlp/' })?.url).toBe('https://c.example/otlp/v1/traces');
    const both = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' };
    expect(parseTracing(both)?.url).toBe('http://b:4318/custom');
  });

  it('has the spec defaults: parent-based sampling, the service name, no headers', () => {
    expect(parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({
      url: 'http://c:4318/v1/traces',
      shownUrl: 'http://c:4318/v1/traces',
      headers: {},
      serviceName: 'claude-code-agent',
      resource: {},
      sampler: { kind: 'parentbased_always_on' },
    });
  });

  it('reads headers (the traces ones win), resource attributes, service name and sampler', () => {
    const config = parseTracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-team=one',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=two',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment.name=prod',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config).toMatchObject({
      headers: { authorization: 'Bearer abc', 'x-team': 'two' },
      serviceName: 'from-resource',
      resource: { 'service.name': 'from-resource', 'deployment.environment.name': 'prod' },
      sampler: { kind: 'parentbased_traceidratio', ratio: 0.25 },
    });
    expect(parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'cca-prod' })?.serviceName).toBe('cca-prod');
  });

  it('shows the URL without the credentials it may hold', () => {
    const config = parseTracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:pa55@otlp.example.com/v1/traces?api-key=k3y' });
    expect(config?.url).toBe('https://user:pa55@otlp.example.com/v1/traces?api-key=k3y');
    expect(config?.shownUrl).toBe('https://otlp.example.com/v1/traces');
  });

  it('is off when the SDK is disabled or the exporter is none', () => {
    expect(parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
  });

  it('refuses what it cannot do, saying what would work', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' };
    expect(configError(() => parseTracing({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }))).toMatch(/http\/json.*4318/);
    expect(parseTracing({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })?.url).toBe('http://c:4317/v1/traces');
    expect(configError(() => parseTracing({ ...base, OTEL_TRACES_EXPORTER: 'zipkin' }))).toContain('"otlp" or "none"');
    expect(configError(() => parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }))).toContain('http(s) URL');
    expect(configError(() => parseTracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }))).toContain(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    );
    expect(configError(() => parseTracing({ ...base, OTEL_TRACES_SAMPLER: 'sometimes' }))).toContain('OTEL_TRACES_SAMPLER');
    expect(configError(() => parseTracing({ ...base, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }))).toContain(
      'from 0 to 1',
    );
  });

  it('names a malformed header entry by its key, never its value (a credential)', () => {
    const message = configError(() =>
      parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%zzsecret' }),
    );
    expect(message).toContain('"authorization"');
    expect(message).not.toContain('secret');
    expect(
      configError(() => parseTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })),
    ).toContain('OTEL_EXPORTER_OTLP_HEADERS');
  });
});
