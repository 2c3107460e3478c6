/** What the balancer needs to know about an instance. */
export interface Balanceable {
  /** Identifies the instance and its connection generation, so a restarted instance counts as new. */
  readonly attemptKey: string;
  /** Calls running plus calls queued on this instance. */
  readonly load: number;
}

/**
 * Least-in-flight over the candidates, avoiding instances that already failed this call when any other
 * is available. Ties rotate from `cursor` so equal instances share the work.
 */
export function pickLeastLoaded<T extends Balanceable>(
  candidates: readonly T[],
  triedKeys: ReadonlySet<string>,
  cursor: number,
): T | undefined {
  const fresh = triedKeys.size === 0 ? candidates : candidates.filter((c) => !triedKeys.has(c.attemptKey));
  const pool = fresh.length > 0 ? fresh : candidates;
  let best: T | undefined;
  for (let i = 0; i < pool.length; i++) {
    const candidate = pool[(cursor + i) % pool.length]!;
    if (best === undefined || candidate.load < best.load) best = candidate;
  }
  return best;
}
