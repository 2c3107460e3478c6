/** What the balancer needs to know about an instance. */
export interface Balanceable {
  /** Identifies the instance and its connection generation, so a restarted instance counts as new. */
  readonly attemptKey: string;
  /** Calls running plus calls queued on this instance. */
  readonly load: number;
  /** Whether the instance can take a call now: connected, and its breaker letting calls through. */
  readonly acceptsCalls: boolean;
}

/**
 * Least-in-flight over the instances that accept calls, preferring those that have not already failed
 * this call; one that has is picked only when no other accepts calls. Ties rotate from `cursor` so
 * equal instances share the work. One pass, no array built: this runs on every call.
 */
export function pickLeastLoaded<T extends Balanceable>(
  instances: readonly T[],
  triedKeys: ReadonlySet<string>,
  cursor: number,
): T | undefined {
  let best: T | undefined;
  let bestTried = false;
  const n = instances.length;
  for (let i = 0; i < n; i++) {
    const candidate = instances[(cursor + i) % n]!;
    if (!candidate.acceptsCalls) continue;
    const tried = triedKeys.size > 0 && triedKeys.has(candidate.attemptKey);
    const better =
      best === undefined || (bestTried && !tried) || (tried === bestTried && candidate.load < best.load);
    if (better) {
      best = candidate;
      bestTried = tried;
    }
  }
  return best;
}
