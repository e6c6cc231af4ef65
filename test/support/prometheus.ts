/**
 * Reading `/metrics` in tests: the text parsed by a Prometheus text-format parser (not by regular
 * expressions of our own), and the samples looked up by name and labels.
 *
 * parse-prometheus-text-format folds every sample of a histogram into one, losing labels other
 * than `le` (and, with them, `_sum` and `_count`). So a histogram's HELP and TYPE lines are taken
 * out before parsing: its `_bucket`, `_sum` and `_count` series then parse as plain samples with
 * all their labels, and `histogram()` puts them back together.
 */
import parsePrometheusTextFormat, { type PrometheusFamily, type PrometheusSample } from 'parse-prometheus-text-format';

/** One histogram series: its count, sum and cumulative buckets by upper bound. */
export interface HistogramSample {
  count: number;
  sum: number;
  buckets: Record<string, number>;
}

/** A parsed scrape. */
export class Scrape {
  /** Families by name; a histogram's parts are `<name>_bucket`, `<name>_sum` and `<name>_count`. */
  readonly families = new Map<string, PrometheusFamily>();
  /** The name and type (COUNTER, GAUGE, HISTOGRAM...) of every family the scrape declares. */
  readonly types = new Map<string, string>();

  constructor(readonly text: string) {
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) this.types.set(m[1] as string, (m[2] as string).toUpperCase());
    const histogramHeader = (line: string) => {
      const m = /^# (?:HELP|TYPE) (\S+)/.exec(line);
      return m !== null && this.types.get(m[1] as string) === 'HISTOGRAM';
    };
    const plain = text
      .split('\n')
      .filter((line) => !histogramHeader(line))
      .join('\n');
    // A histogram's series come back in runs, one per label set: the runs of one name are joined.
    for (const family of parsePrometheusTextFormat(plain)) {
      const seen = this.families.get(family.name);
      if (seen === undefined) this.families.set(family.name, { ...family, metrics: [...family.metrics] });
      else seen.metrics.push(...family.metrics);
    }
  }

  /** The samples of `name` whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): PrometheusSample[] {
    const family = this.families.get(name);
    return (family?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }

  /** The sum of the values of `name` whose labels include `labels` (0 when there are none). */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((n, m) => n + Number(m.value), 0);
  }

  /** Every value label `label` takes in `name`. */
  labelValues(name: string, label: string): string[] {
    const values = this.samples(name).flatMap((m) => (m.labels?.[label] === undefined ? [] : [m.labels[label] as string]));
    return [...new Set(values)].sort();
  }

  /** The histogram series of `name` with exactly `labels` (its `le` aside); fails the test when there is none. */
  histogram(name: string, labels: Record<string, string>): HistogramSample {
    if (this.types.get(name) !== 'HISTOGRAM') throw new Error(`${name} is not a histogram in the scrape:\n${this.text}`);
    const same = (m: PrometheusSample) => {
      const { le: _le, ...rest } = m.labels ?? {};
      return JSON.stringify(Object.entries(rest).sort()) === JSON.stringify(Object.entries(labels).sort());
    };
    const count = this.samples(`${name}_count`).filter(same);
    if (count.length !== 1) throw new Error(`no single ${name} series with labels ${JSON.stringify(labels)}:\n${this.text}`);
    const buckets = Object.fromEntries(
      this.samples(`${name}_bucket`)
        .filter(same)
        .map((m) => [m.labels?.le, Number(m.value)]),
    );
    return {
      count: Number(count[0]?.value),
      sum: this.samples(`${name}_sum`)
        .filter(same)
        .reduce((n, m) => n + Number(m.value), 0),
      buckets,
    };
  }
}

/** Scrapes a service's `/metrics` with the operator's token. */
export async function scrapeMetrics(baseUrl: string, token: string): Promise<Scrape> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  return new Scrape(await res.text());
}
