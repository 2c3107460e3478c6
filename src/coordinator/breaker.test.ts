import { expect, it } from 'vitest';
import { pickLeastLoaded } from './balancer.js';
import { type BreakerState, CircuitBreaker } from './breaker.js';

function breakerWithClock() {
  let now = 1_000;
  const moves: string[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: 3,
    cooldownMs: 100,
    now: () => now,
    onChange: (from: BreakerState, to: BreakerState) => moves.push(`${from}>${to}`),
  });
  return { breaker, moves, advance: (ms: number) => (now += ms) };
}

it('opens after N consecutive failures, probes once after the cooldown, closes on success', () => {
  const { breaker, moves, advance } = breakerWithClock();
  breaker.failure(breaker.acquire()!);
  breaker.failure(breaker.acquire()!);
  breaker.success(breaker.acquire()!); // a success resets the count
  for (let i = 0; i < 3; i++) breaker.failure(breaker.acquire()!);
  expect(breaker.state).toBe('open');
  expect(breaker.acquire()).toBeUndefined();
  advance(99);
  expect(breaker.available()).toBe(false);
  advance(1);
  expect(breaker.acquire()).toBe('probe');
  expect(breaker.state).toBe('half_open');
  expect(breaker.acquire()).toBeUndefined(); // one probe at a time
  breaker.success('probe');
  expect(breaker.state).toBe('closed');
  expect(moves).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
});

it('goes back to open when the probe fails, and frees the probe slot on release', () => {
  const { breaker, advance } = breakerWithClock();
  breaker.trip();
  advance(100);
  breaker.failure(breaker.acquire()!);
  expect(breaker.state).toBe('open');
  expect(breaker.available()).toBe(false);
  advance(100);
  const probe = breaker.acquire()!;
  breaker.release(probe);
  expect(breaker.acquire()).toBe('probe');
});

it('balances least-in-flight over instances accepting calls, avoiding those this call already tried', () => {
  const a = { attemptKey: 'a@1', load: 2, acceptsCalls: true };
  const b = { attemptKey: 'b@1', load: 1, acceptsCalls: true };
  const c = { attemptKey: 'c@1', load: 1, acceptsCalls: true };
  const idle = { attemptKey: 'd@1', load: 0, acceptsCalls: false };
  expect(pickLeastLoaded([a, b, c], new Set(), 0)).toBe(b);
  expect(pickLeastLoaded([a, b, c], new Set(), 2)).toBe(c); // ties rotate with the cursor
  expect(pickLeastLoaded([a, b, c], new Set(['b@1', 'c@1']), 0)).toBe(a);
  expect(pickLeastLoaded([b, a], new Set(['b@1']), 0)).toBe(a); // untried, though busier
  expect(pickLeastLoaded([a], new Set(['a@1']), 0)).toBe(a); // nothing else: same instance again
  expect(pickLeastLoaded([idle, a, b], new Set(), 0)).toBe(b); // never one refusing calls, however idle
  expect(pickLeastLoaded([idle], new Set(), 0)).toBeUndefined();
  expect(pickLeastLoaded([], new Set(), 0)).toBeUndefined();
});
