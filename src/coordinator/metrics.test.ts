import { Counter, Histogram, Registry } from 'prom-client';
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

/** What CoordinatorMetrics exposed when it observed every call on prom-client directly. */
function reference(calls: readonly Call[]): Registry {
  const registry = new Registry();
  const labelNames = ['role', 'tool', 'instance', 'outcome'] as const;
  const duration = new Histogram({
    name: 'powerauto_engine_call_duration_seconds',
    help: 'Latency of one engine tool call attempt, queueing included',
    labelNames,
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 1, 5, 30, 120, 600],
    registers: [registry],
  });
  const total = new Counter({
    name: 'powerauto_engine_calls_total',
    help: 'Engine tool call attempts by outcome',
    labelNames,
    registers: [registry],
  });
  const requestBytes = new Counter({
    name: 'powerauto_engine_call_request_bytes_total',
    help: 'JSON bytes of tool arguments sent',
    labelNames: ['role', 'tool', 'instance'],
    registers: [registry],
  });
  const responseBytes = new Counter({
    name: 'powerauto_engine_call_response_bytes_total',
    help: 'JSON bytes of tool results received',
    labelNames: ['role', 'tool', 'instance'],
    registers: [registry],
  });
  for (const [role, tool, instance, outcome, ms, request, response] of calls) {
    duration.observe({ role, tool, instance, outcome }, ms / 1000);
    total.inc({ role, tool, instance, outcome });
    requestBytes.inc({ role, tool, instance }, request);
    if (response > 0) responseBytes.inc({ role, tool, instance }, response);
  }
  return registry;
}

const CALLS: Call[] = [
  ['monitoring', 'monitor_stop', 'mon#0', 'ok', 0, 25, 120],
  ['monitoring', 'monitor_stop', 'mon#1', 'timeout', 60_000, 25, 0],
  ['monitoring', 'monitor_stop', 'mon#0', 'ok', 3, 25, 118],
  // A label set whose first call had no response: its response series comes later, after mon#0's.
  ['auxiliary', 'read_file', 'fs#0', 'transport_error', 12, 40, 0],
  ['monitoring', 'monitor_report', 'mon#0', 'output_invalid', 1, 2, 9_000],
  ['auxiliary', 'read_file', 'fs#0', 'ok', 700_000, 40, 5],
  ['monitoring', 'monitor_stop', 'mon#0', 'ok', 0.4, 25, 120],
  ['monitoring', 'monitor_stop', 'mon#0', 'tool_error', 20, 0, 300],
  ['monitoring', 'monitor_stop', 'mon#1', 'cancelled', 100, 25, 0],
  ['monitoring', 'monitor_stop', 'mon#0', 'ok', 1, 25, 120],
];

describe('CoordinatorMetrics', () => {
  it('exposes what observing each call on prom-client exposes, text and JSON', async () => {
    const metrics = new CoordinatorMetrics();
    for (const call of CALLS) metrics.record(...call);
    const expected = reference(CALLS);
    expect(await metrics.registry.metrics()).toBe(await expected.metrics());
    expect(await metrics.registry.getMetricsAsJSON()).toEqual(await expected.getMetricsAsJSON());
    // The API serves it merged with its own registry.
    expect(await Registry.merge([metrics.registry]).metrics()).toBe(await expected.metrics());
  });

  it('keeps counting after a scrape', async () => {
    const metrics = new CoordinatorMetrics();
    metrics.record(...CALLS[0]!);
    await metrics.registry.metrics();
    for (const call of CALLS.slice(1)) metrics.record(...call);
    expect(await metrics.registry.metrics()).toBe(await reference(CALLS).metrics());
  });

  it('exposes the metric families before any call', async () => {
    expect(await new CoordinatorMetrics().registry.metrics()).toBe(await reference([]).metrics());
  });
});
