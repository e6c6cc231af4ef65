/**
 * Metrics in the Prometheus format: the service's registry and series, the `/metrics` route (main
 * port, behind the operator's token) and the app of `--metrics-port`, and the request counter.
 */
export { keyLabel, methodLabel, NO_KEY, statusLabel } from './labels.js';
export { METRICS_SECURITY_SCHEME, metricsApp, metricsRoute, serveMetrics } from './metrics-route.js';
export { metricsTokenGuard } from './metrics-token.js';
export { countRequests } from './request-metrics.js';
export { ServiceMetrics, type InvocationEnd, type RunGauges } from './service-metrics.js';
