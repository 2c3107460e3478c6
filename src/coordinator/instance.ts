import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import PQueue from 'p-queue';
import type { z } from 'zod';
import type { TransportConfig } from '../config/engines.js';
import { errorMessage } from '../contracts/errors.js';
import type { Role } from '../contracts/models.js';
import type { Balanceable } from './balancer.js';
import { type BreakerState, CircuitBreaker } from './breaker.js';
import { assertContract } from './contract-check.js';
import { type InprocServerFactory, type OpenedTransport, openTransport } from './transports.js';

export const COORDINATOR_CLIENT_INFO = { name: 'powerauto-coordinator', version: '0.1.0' } as const;

/** starting: first connect; healthy/unhealthy: connected, last ping ok/failed; down: lost, reconnecting. */
export type HealthState = 'starting' | 'healthy' | 'unhealthy' | 'down' | 'closed';

export interface InstanceSpec {
  kind: 'engine' | 'auxiliary';
  /** The config entry's name; replicas share it. */
  name: string;
  role: Role | undefined;
  replica: number;
  transport: TransportConfig;
  maxConcurrency: number;
  /** Per-attempt timeout, reset on progress. */
  timeoutMs: number;
  /** Cap over all attempts of one call. */
  totalTimeoutMs: number;
  connectTimeoutMs: number;
  restartDelayMs: number;
  restartMaxDelayMs: number;
  failureThreshold: number;
  cooldownMs: number;
}

export interface InstanceHooks {
  inprocFactory: InprocServerFactory;
  onBreakerChange(instance: ServerInstance, from: BreakerState, to: BreakerState): void;
  /** Connected, disconnected, breaker moved: waiting calls look again. */
  onStateChange(): void;
}

/** The instance had no live connection when the call reached the front of its queue. */
export class InstanceDownError extends Error {
  constructor(instance: string) {
    super(`instance ${instance} is not connected`);
    this.name = 'InstanceDownError';
  }
}

export interface ToolCallParams {
  name: string;
  arguments: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

/** One connection to one MCP server (one process for stdio), with its queue and breaker. */
export class ServerInstance implements Balanceable {
  readonly id: string;
  readonly breaker: CircuitBreaker;
  health: HealthState = 'starting';
  /** Bumped on every successful (re)connect; a restarted instance is a new place to retry. */
  generation = 0;
  restarts = 0;
  tools: Tool[] = [];
  lastError: string | undefined;
  pingInFlight = false;

  private client: Client | undefined;
  private opened: OpenedTransport | undefined;
  /** The instance's concurrency limit; calls beyond it wait in arrival order. */
  private readonly admission: PQueue;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs: number;

  constructor(
    readonly spec: InstanceSpec,
    private readonly hooks: InstanceHooks,
  ) {
    this.id = `${spec.name}#${spec.replica}`;
    this.admission = new PQueue({ concurrency: spec.maxConcurrency });
    this.restartDelayMs = spec.restartDelayMs;
    this.breaker = new CircuitBreaker({
      failureThreshold: spec.failureThreshold,
      cooldownMs: spec.cooldownMs,
      onChange: (from, to) => {
        hooks.onBreakerChange(this, from, to);
        hooks.onStateChange();
      },
    });
  }

  get attemptKey(): string {
    return this.attemptKeyAt(this.generation);
  }

  /** The attemptKey this instance had at a given connection generation. */
  attemptKeyAt(generation: number): string {
    return `${this.id}@${generation}`;
  }

  get load(): number {
    return this.admission.pending + this.admission.size;
  }

  /** Calls on the wire right now (not counting queued ones). */
  get running(): number {
    return this.admission.pending;
  }

  /** Whether a call made now would start at once rather than wait for a slot. */
  get hasFreeSlot(): boolean {
    return this.admission.pending < this.spec.maxConcurrency && this.admission.size === 0;
  }

  get queued(): number {
    return this.admission.size;
  }

  get connected(): boolean {
    return this.client !== undefined && (this.health === 'healthy' || this.health === 'unhealthy');
  }

  get acceptsCalls(): boolean {
    return this.connected && this.breaker.available();
  }

  get pid(): number | null {
    return this.opened?.pid() ?? null;
  }

  /** Connect, initialize, list tools and check them against the role contract. */
  async connect(): Promise<void> {
    const opened = await openTransport(this.spec.transport, this.spec.role, this.hooks.inprocFactory);
    const client = new Client(COORDINATOR_CLIENT_INFO, { capabilities: {} });
    client.onclose = () => this.disconnected(client);
    try {
      await client.connect(opened.transport, { timeout: this.spec.connectTimeoutMs });
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
          timeout: this.spec.connectTimeoutMs,
        });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      if (this.spec.role !== undefined) assertContract(this.spec.name, this.spec.role, tools);
      if (this.closing) throw new Error(`instance ${this.id} closed while connecting`);
      this.tools = tools;
    } catch (err) {
      client.onclose = undefined;
      await opened.dispose().catch(() => {});
      await client.close().catch(() => {});
      const stderr = opened.stderrTail().trim();
      if (stderr.length > 0 && err instanceof Error && !('code' in err && typeof err.code === 'string')) {
        err.message = `${err.message} (stderr: ${stderr.slice(-500)})`;
      }
      throw err;
    }
    this.client = client;
    this.opened = opened;
    this.generation++;
    this.health = 'healthy';
    this.lastError = undefined;
    this.restartDelayMs = this.spec.restartDelayMs;
    this.hooks.onStateChange();
  }

  /**
   * tools/call within this instance's concurrency limit, waiting for a slot when all are taken. The
   * caller names the result schema (as `Client.callTool` lets it): engine results are checked against
   * their role contract afterwards, not the engine's own JSON schema.
   */
  callTool<R>(
    params: ToolCallParams,
    resultSchema: z.ZodType<R>,
    options: RequestOptions & { signal: AbortSignal },
  ): Promise<R> {
    // A waiting call whose signal aborts leaves the queue. Calls still waiting when the instance
    // closes start as the running ones fail with the connection, and are refused in send().
    return this.admission.add(() => this.send(params, resultSchema, options), {
      signal: options.signal,
    }) as Promise<R>;
  }

  private send<R>(params: ToolCallParams, resultSchema: z.ZodType<R>, options: RequestOptions): Promise<R> {
    const client = this.client;
    if (client === undefined || !this.connected) return Promise.reject(new InstanceDownError(this.id));
    return client.request({ method: 'tools/call', params }, resultSchema, options);
  }

  async ping(timeoutMs: number): Promise<void> {
    const client = this.client;
    if (client === undefined) throw new InstanceDownError(this.id);
    await client.ping({ timeout: timeoutMs });
  }

  /** Start connecting in the background after a failure; backs off while it keeps failing. */
  scheduleReconnect(): void {
    if (this.closing || this.restartTimer !== undefined) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.connect().then(
        () => {
          this.restarts++;
        },
        (err: unknown) => {
          this.lastError = errorMessage(err);
          this.restartDelayMs = Math.min(this.restartDelayMs * 2 || 50, this.spec.restartMaxDelayMs);
          this.scheduleReconnect();
        },
      );
    }, this.restartDelayMs);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const client = this.client;
    const opened = this.opened;
    this.client = undefined;
    this.opened = undefined;
    this.health = 'closed';
    if (client !== undefined) client.onclose = undefined;
    await opened?.dispose().catch(() => {});
    await client?.close().catch(() => {});
  }

  /**
   * Gives up the connection and reconnects in the background. An HTTP engine cannot say it went
   * away (a restarted one has simply forgotten our session), so a failed ping must decide for it.
   */
  dropConnection(reason: string): void {
    const client = this.client;
    if (client === undefined || this.closing) return;
    this.disconnected(client);
    this.lastError = reason;
    void client.close().catch(() => {});
  }

  private disconnected(client: Client): void {
    if (this.client !== client || this.closing) return;
    this.client = undefined;
    void this.opened?.dispose().catch(() => {});
    this.lastError = `connection lost${this.opened ? this.stderrSuffix(this.opened) : ''}`;
    this.opened = undefined;
    this.health = 'down';
    this.hooks.onStateChange();
    this.scheduleReconnect();
  }

  private stderrSuffix(opened: OpenedTransport): string {
    const tail = opened.stderrTail().trim();
    return tail.length > 0 ? ` (stderr: ${tail.slice(-300)})` : '';
  }
}
