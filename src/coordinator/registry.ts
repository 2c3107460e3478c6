import { type EnginesConfig, engineName } from '../config/engines.js';
import type { InstanceSpec } from './instance.js';

/** Expand the config into one spec per instance (replicas of an entry share its name). */
export function instanceSpecs(config: EnginesConfig): InstanceSpec[] {
  const common = {
    connectTimeoutMs: config.restart.connectTimeoutMs,
    restartDelayMs: config.restart.delayMs,
    restartMaxDelayMs: config.restart.maxDelayMs,
    failureThreshold: config.breaker.failureThreshold,
    cooldownMs: config.breaker.cooldownMs,
  };
  const specs: InstanceSpec[] = [];
  for (const entry of config.engines) {
    for (let replica = 0; replica < entry.replicas; replica++) {
      specs.push({
        ...common,
        kind: 'engine',
        name: engineName(entry),
        role: entry.role,
        replica,
        transport: entry.transport,
        maxConcurrency: entry.maxConcurrency,
        timeoutMs: entry.timeoutMs,
        totalTimeoutMs: entry.totalTimeoutMs,
      });
    }
  }
  for (const aux of config.auxiliary) {
    specs.push({
      ...common,
      kind: 'auxiliary',
      name: aux.name,
      role: undefined,
      replica: 0,
      transport: aux.transport,
      maxConcurrency: aux.maxConcurrency,
      timeoutMs: aux.timeoutMs,
      totalTimeoutMs: aux.timeoutMs * config.maxAttempts,
    });
  }
  return specs;
}
