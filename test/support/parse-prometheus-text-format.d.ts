/** The parser of the Prometheus text format the tests read /metrics with (the package ships no types). */
declare module 'parse-prometheus-text-format' {
  /** One sample: a counter's or gauge's `value`, or a histogram's `buckets`, `count` and `sum` (all as text). */
  export interface PrometheusSample {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  /** One metric family, its type in capitals (COUNTER, GAUGE, HISTOGRAM, SUMMARY, UNTYPED). */
  export interface PrometheusFamily {
    name: string;
    help: string;
    type: string;
    metrics: PrometheusSample[];
  }
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
