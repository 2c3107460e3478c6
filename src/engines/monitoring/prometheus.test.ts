import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { histogramQuantile, parsePrometheus } from './prometheus.js';
import { deltaOf, Ewma, snapshotFrom, summarize } from './stats.js';

function exposition(routes: Record<string, { ok: number; err: number; buckets: number[] }>): string {
  const bounds = ['0.005', '0.01', '0.05', '0.1', '+Inf'];
  const lines = ['# HELP http_requests_total x', '# TYPE http_requests_total counter'];
  for (const [route, r] of Object.entries(routes)) {
    lines.push(`http_requests_total{method="GET",route="${route}",status="200"} ${r.ok}`);
    if (r.err > 0) lines.push(`http_requests_total{method="GET",route="${route}",status="500"} ${r.err}`);
  }
  lines.push('# HELP http_request_duration_seconds y', '# TYPE http_request_duration_seconds histogram');
  for (const [route, r] of Object.entries(routes)) {
    for (const [i, le] of bounds.entries()) {
      lines.push(
        `http_request_duration_seconds_bucket{method="GET",route="${route}",le="${le}"} ${r.buckets[i]}`,
      );
    }
    lines.push(`http_request_duration_seconds_sum{method="GET",route="${route}"} 1`);
    lines.push(`http_request_duration_seconds_count{method="GET",route="${route}"} ${r.buckets.at(-1)}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('Prometheus parsing and request statistics', () => {
  const text = exposition({
    '/books': { ok: 90, err: 10, buckets: [10, 50, 90, 100, 100] },
    '/members': { ok: 4, err: 0, buckets: [4, 4, 4, 4, 4] },
  });

  it('keeps every labelled histogram series (the library alone folds them into one)', () => {
    const raw = parsePrometheusTextFormat(text).find((f) => f.name === 'http_request_duration_seconds');
    expect(raw?.metrics).toHaveLength(1); // why parsePrometheus demotes histogram TYPE lines
    const parsed = parsePrometheus(text);
    const series = parsed.histograms.get('http_request_duration_seconds') ?? [];
    expect(series.map((s) => s.labels.route).sort()).toEqual(['/books', '/members']);
    const books = series.find((s) => s.labels.route === '/books');
    expect(books?.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 100 });
    expect(books?.count).toBe(100);
  });

  it('computes quantiles from buckets by linear interpolation, as histogram_quantile does', () => {
    const buckets = [
      { le: 0.01, count: 50 },
      { le: 0.1, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.01 + 0.09 * 0.9);
    expect(histogramQuantile(0.5, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNull();
  });

  it('error rate and latency per interval; a counter that went down counts from zero', () => {
    const before = snapshotFrom(parsePrometheus(text));
    const later = snapshotFrom(
      parsePrometheus(
        exposition({
          '/books': { ok: 140, err: 10, buckets: [60, 100, 140, 150, 150] },
          '/members': { ok: 4, err: 0, buckets: [4, 4, 4, 4, 4] },
        }),
      ),
    );
    const interval = summarize(deltaOf(before, later));
    expect(interval.requests).toBe(50);
    expect(interval.errors).toBe(0);
    expect(interval.errorRate).toBe(0);
    expect(interval.p50Ms).toBeCloseTo(2.5); // all 50 new answers in the first bucket (<= 5 ms)

    const restarted = snapshotFrom(
      parsePrometheus(exposition({ '/books': { ok: 3, err: 1, buckets: [4, 4, 4, 4, 4] } })),
    );
    const afterRestart = summarize(deltaOf(later, restarted));
    expect(afterRestart.requests).toBe(4);
    expect(afterRestart.errorRate).toBe(0.25);
  });

  it('EWMA baseline flags a value far above what it learned, not noise', () => {
    const e = new Ewma(0.2);
    for (const x of [10, 12, 9, 11, 10, 12, 11, 10]) e.update(x);
    expect(e.isAnomaly(13, 4, 5, 5)).toBe(false);
    expect(e.isAnomaly(80, 4, 5, 5)).toBe(true);
    expect(new Ewma(0.2).isAnomaly(80, 4, 5, 5)).toBe(false); // nothing learned yet
  });
});
