import { errorMessage } from '../contracts/errors.js';
import type { ServerInstance } from './instance.js';

export interface HealthOptions {
  intervalMs: number;
  timeoutMs: number;
}

/**
 * Pings every connected instance on an interval. A ping is also the half-open probe of an open
 * breaker once its cooldown has passed, so an instance recovers even when no call comes along.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly instances: () => readonly ServerInstance[],
    private readonly options: HealthOptions,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.checkAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  checkAll(): void {
    for (const instance of this.instances()) void this.check(instance);
  }

  async check(instance: ServerInstance): Promise<void> {
    if (!instance.connected || instance.pingInFlight) return;
    const ticket = instance.breaker.acquire();
    if (ticket === undefined) return;
    instance.pingInFlight = true;
    try {
      await instance.ping(this.options.timeoutMs);
      instance.breaker.success(ticket);
      if (instance.health === 'unhealthy') instance.health = 'healthy';
    } catch (err) {
      instance.breaker.failure(ticket);
      if (instance.health === 'healthy') instance.health = 'unhealthy';
      instance.lastError = `ping failed: ${errorMessage(err)}`;
      // stdio learns of a dead engine from the process; HTTP only from failing requests.
      if (instance.spec.transport.type === 'http') instance.dropConnection(instance.lastError);
    } finally {
      instance.pingInFlight = false;
    }
  }
}
