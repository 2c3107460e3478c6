import { describe, expect, it } from 'vitest';
import { type CallOutcome, CoordinatorMetrics } from './metrics.js';

type Call = [
  role: 'monitoring' | 'auxiliary',
  tool: string,
  instance: string,
  CallOutcome,
  number,
  number,
  number,
];

const CALLS: Call[] = [
  ['monitoring', 'monitor_stop', 'mon#0', 'ok', 0, 25, 120],
  ['monitoring', 'monitor_stop', 'mon#1', 'timeout', 60_000, 25, 0],
  ['monitoring', 'monitor_stop', 'mon#0', 'ok', 3, 25, 118],
  ['auxiliary', 'read_file', 'fs#0', 'transport_error', 12, 40, 0],
  ['auxiliary', 'read_file', 'fs#0', 'ok', 700_000, 40, 5],
  ['monitoring', 'monitor_stop', 'mon#0', 'tool_error', 20, 0, 300],
];

describe('CoordinatorMetrics', () => {
  it('counts attempts by outcome, their latency buckets and their bytes per label set', async () => {
    const metrics = new CoordinatorMetrics();
    for (const call of CALLS) metrics.record(...call);
    const text = await metrics.registry.metrics();
    const ok = 'role="monitoring",tool="monitor_stop",instance="mon#0",outcome="ok"';
    expect(text).toContain(`powerauto_engine_calls_total{${ok}} 2`);
    expect(text).toContain(`powerauto_engine_call_duration_seconds_bucket{le="0.001",${ok}} 1`);
    expect(text).toContain(`powerauto_engine_call_duration_seconds_bucket{le="0.005",${ok}} 2`);
    expect(text).toContain(`powerauto_engine_call_duration_seconds_sum{${ok}} 0.003`);
    // 700 s is past the last bucket: only +Inf holds it.
    const slow = 'role="auxiliary",tool="read_file",instance="fs#0",outcome="ok"';
    expect(text).toContain(`powerauto_engine_call_duration_seconds_bucket{le="600",${slow}} 0`);
    expect(text).toContain(`powerauto_engine_call_duration_seconds_bucket{le="+Inf",${slow}} 1`);
    const mon0 = 'role="monitoring",tool="monitor_stop",instance="mon#0"';
    expect(text).toContain(`powerauto_engine_call_request_bytes_total{${mon0}} 50`);
    expect(text).toContain(`powerauto_engine_call_response_bytes_total{${mon0}} 538`);
    // An attempt that got no response adds no response series.
    expect(text).not.toMatch(/response_bytes_total\{[^}]*instance="mon#1"/);
  });

  it('exposes the metric families before any call', async () => {
    const text = await new CoordinatorMetrics().registry.metrics();
    for (const name of [
      'powerauto_engine_call_duration_seconds',
      'powerauto_engine_calls_total',
      'powerauto_engine_call_request_bytes_total',
      'powerauto_engine_call_response_bytes_total',
    ])
      expect(text).toContain(`# TYPE ${name} `);
  });
});
