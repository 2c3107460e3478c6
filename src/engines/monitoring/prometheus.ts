import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One series of the exposition: metric name, labels, value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface HistogramSeries {
  labels: Record<string, string>;
  /** Cumulative counts by upper bound, ascending; the last bound is +Infinity. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

export interface Scrape {
  samples: PromSample[];
  histograms: Map<string, HistogramSeries[]>;
}

/**
 * Parses the Prometheus text format with `parse-prometheus-text-format`. That library folds every
 * label set of a histogram into one (its flattening keeps only the last series), so histogram and
 * summary TYPE lines are demoted to untyped first: each `_bucket`/`_sum`/`_count` line then comes back
 * as a plain sample with its labels (including `le`), and the histograms are rebuilt here.
 */
export function parsePrometheus(text: string): Scrape {
  const histogramNames = new Set<string>();
  const demoted = text
    .split('\n')
    .map((line) => {
      const m = /^#\s*TYPE\s+(\S+)\s+(histogram|summary)\s*$/.exec(line);
      if (m === null) return line;
      if (m[2] === 'histogram') histogramNames.add(m[1] as string);
      return `# TYPE ${m[1]} untyped`;
    })
    .join('\n');
  const samples: PromSample[] = [];
  for (const family of parsePrometheusTextFormat(demoted)) {
    for (const metric of family.metrics) {
      if (metric.value === undefined) continue;
      const value = parseValue(metric.value);
      if (value === undefined) continue;
      samples.push({ name: family.name, labels: metric.labels ?? {}, value });
    }
  }
  const histograms = new Map<string, HistogramSeries[]>();
  for (const name of histogramNames) histograms.set(name, rebuildHistograms(name, samples));
  return { samples, histograms };
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

export function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function rebuildHistograms(name: string, samples: PromSample[]): HistogramSeries[] {
  const series = new Map<string, HistogramSeries>();
  const get = (labels: Record<string, string>): HistogramSeries => {
    const key = labelKey(labels);
    let s = series.get(key);
    if (s === undefined) {
      s = { labels, buckets: [], sum: 0, count: 0 };
      series.set(key, s);
    }
    return s;
  };
  for (const sample of samples) {
    if (sample.name === `${name}_bucket`) {
      const { le, ...rest } = sample.labels;
      const bound = le === undefined ? undefined : parseValue(le);
      if (bound === undefined) continue;
      get(rest).buckets.push({ le: bound, count: sample.value });
    } else if (sample.name === `${name}_sum`) {
      get(sample.labels).sum = sample.value;
    } else if (sample.name === `${name}_count`) {
      get(sample.labels).count = sample.value;
    }
  }
  for (const s of series.values()) s.buckets.sort((a, b) => a.le - b.le);
  return [...series.values()];
}

/**
 * The q-quantile of a histogram's observations, as Prometheus' histogram_quantile does it: find the
 * bucket holding the rank, interpolate linearly inside it. Null without observations. An answer in
 * the +Inf bucket is the highest finite bound (nothing better is known).
 */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number | null {
  const last = buckets[buckets.length - 1];
  if (last === undefined || last.count <= 0) return null;
  const rank = q * last.count;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return prevBound;
      const inBucket = b.count - prevCount;
      if (inBucket <= 0) return b.le;
      return prevBound + ((b.le - prevBound) * (rank - prevCount)) / inBucket;
    }
    prevBound = b.le;
    prevCount = b.count;
  }
  return prevBound;
}
