import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  McpError,
  ErrorCode as McpErrorCode,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { EnginesConfig, type EnginesConfigInput } from '../config/engines.js';
import { toolContract } from '../contracts/engines.js';
import {
  BadInputError,
  type ErrorCode,
  errorCodesWith,
  errorMessage,
  NotFoundError,
} from '../contracts/errors.js';
import type { StepExecutor, ToolCall, ToolCallContext } from '../contracts/executor.js';
import {
  ERROR_CODE_META_KEY,
  IDEMPOTENCY_META_KEY,
  LLM_USAGE_META_KEY,
  LlmUsageMetrics,
} from '../contracts/mcp-meta.js';
import type { Role } from '../contracts/models.js';
import { pickLeastLoaded } from './balancer.js';
import type { BreakerState, BreakerTicket } from './breaker.js';
import {
  CallCancelledError,
  EngineTimeoutError,
  EngineToolError,
  EngineUnavailableError,
  OutputInvalidError,
} from './errors.js';
import { HealthMonitor } from './health.js';
import { type HealthState, InstanceDownError, ServerInstance, type ToolCallParams } from './instance.js';
import { type CallOutcome, CoordinatorMetrics, type EngineCallRecord } from './metrics.js';
import { instanceSpecs } from './registry.js';
import { type InprocServerFactory, loadEmbeddedEngine, publicTransport } from './transports.js';

export interface BreakerChange {
  server: string;
  instance: string;
  from: BreakerState;
  to: BreakerState;
  at: string;
}

export interface CoordinatorOptions {
  /** Every call attempt, for the `engine_calls` table. A throwing sink is ignored. */
  onCall?: (record: EngineCallRecord) => void;
  onBreakerChange?: (change: BreakerChange) => void;
  /** Server for `inproc` engines; default: the built-in offline engine of the role. */
  inprocServer?: InprocServerFactory;
}

/** One row of `powerauto engines --json`: one connected instance of an engine or auxiliary server. */
export interface ServerDescription {
  kind: 'engine' | 'auxiliary';
  name: string;
  instance: string;
  role: Role | null;
  transport: Record<string, unknown>;
  pid: number | null;
  tools: string[];
  health: HealthState;
  breaker: BreakerState;
  inFlight: number;
  queued: number;
  maxConcurrency: number;
  restarts: number;
  lastError: string | null;
}

export interface AuxiliaryCallContext {
  signal?: AbortSignal;
  onProgress?: ToolCallContext['onProgress'];
}

/** Codes an engine may send in its error `_meta`; anything else becomes ENGINE_FAILED. */
const EngineErrorCode = z.enum(errorCodesWith('fromEngine') as [ErrorCode, ...ErrorCode[]]);

type Failure = 'cancelled' | 'deadline' | 'timeout' | 'transport' | 'remote' | 'invalid';

function classify(err: unknown, caller: AbortSignal, call: AbortSignal): Failure {
  if (caller.aborted) return 'cancelled';
  if (call.aborted) return 'deadline';
  if (err instanceof InstanceDownError) return 'transport';
  // The result schema refused the answer: the engine answered, wrongly. (The SDK parses with zod/mini,
  // whose errors are core $ZodErrors, not the classic ZodError.)
  if (err instanceof z.core.$ZodError) return 'invalid';
  if (err instanceof McpError) {
    if (err.code === McpErrorCode.RequestTimeout) return 'timeout';
    if (err.code === McpErrorCode.ConnectionClosed) return 'transport';
    return 'remote';
  }
  // Anything else (fetch failures, broken pipes, "Not connected") happened on the way, not in the engine.
  return 'transport';
}

/** UTF-8 bytes of a value's JSON, as the metrics record them. */
function jsonByteLength(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}

function resultText(result: CallToolResult): string {
  return result.content
    .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
    .join('\n')
    .trim();
}

const NONE_TRIED: ReadonlySet<string> = new Set();

/** One attempt of a call, as the metrics and the `onCall` sink see it. */
interface AttemptInfo {
  instance: ServerInstance;
  attempt: number;
  startedAt: number;
  requestBytes: number;
}

/** How an answered attempt ends the call: with a value, or with an error. */
type Finished<T> = { outcome: CallOutcome; value: T } | { outcome: CallOutcome; error: Error };

interface AttemptTarget {
  role: Role | 'auxiliary';
  server: string;
  tool: string;
  args: Record<string, unknown>;
  idempotencyKey: string | undefined;
  runId: string | undefined;
  stepKey: string | undefined;
}

/**
 * The MCPCoordinator: the only MCP client. Keeps a pool of engine instances per role, balances calls
 * over the healthy ones, retries lost calls elsewhere with the same idempotency key, and validates
 * every result against the role contract.
 */
export class MCPCoordinator implements StepExecutor {
  readonly config: EnginesConfig;
  private readonly metrics = new CoordinatorMetrics();
  private readonly instances: ServerInstance[];
  private readonly engines = new Map<Role, ServerInstance[]>();
  private readonly auxiliaries = new Map<string, ServerInstance>();
  private readonly health: HealthMonitor;
  private readonly waiters = new Set<() => void>();
  private cursor = 0;
  private started = false;
  private closed = false;

  constructor(
    config: EnginesConfigInput | EnginesConfig,
    private readonly options: CoordinatorOptions = {},
  ) {
    this.config = EnginesConfig.parse(config);
    const hooks = {
      inprocFactory: options.inprocServer ?? loadEmbeddedEngine,
      onBreakerChange: (instance: ServerInstance, from: BreakerState, to: BreakerState) => {
        options.onBreakerChange?.({
          server: instance.spec.name,
          instance: instance.id,
          from,
          to,
          at: new Date().toISOString(),
        });
      },
      onStateChange: () => this.wakeWaiters(),
    };
    this.instances = instanceSpecs(this.config).map((spec) => new ServerInstance(spec, hooks));
    for (const instance of this.instances) {
      if (instance.spec.role === undefined) {
        this.auxiliaries.set(instance.spec.name, instance);
      } else {
        const list = this.engines.get(instance.spec.role) ?? [];
        list.push(instance);
        this.engines.set(instance.spec.role, list);
      }
    }
    this.health = new HealthMonitor(() => this.instances, this.config.health);
  }

  /** Construct and connect; rejects (and cleans up) if any server fails to connect or its contract check. */
  static async start(
    config: EnginesConfigInput | EnginesConfig,
    options: CoordinatorOptions = {},
  ): Promise<MCPCoordinator> {
    const coordinator = new MCPCoordinator(config, options);
    await coordinator.start();
    return coordinator;
  }

  /** Connects every instance, checking each engine's tools against its role contract. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const results = await Promise.allSettled(this.instances.map((i) => i.connect()));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) {
      await this.close();
      // A contract mismatch says more than a connection error elsewhere; report it first.
      const mismatch = failures.find(
        (f) => f instanceof Error && 'code' in f && f.code === 'CONTRACT_MISMATCH',
      );
      throw mismatch ?? failures[0];
    }
    this.health.start();
  }

  get metricsRegistry(): Registry {
    return this.metrics.registry;
  }

  async callTool(call: ToolCall, ctx: ToolCallContext): Promise<Record<string, unknown>> {
    const contract = toolContract(call.role, call.tool);
    if (contract === undefined)
      throw new BadInputError(`${call.tool} is not a tool of the ${call.role} contract`);
    const input = contract.input.safeParse(call.input);
    if (!input.success) {
      throw new BadInputError(
        `invalid input for ${call.tool}: ${formatIssues(input.error.issues).join('; ')}`,
      );
    }
    const instances = this.engines.get(call.role) ?? [];
    if (instances.length === 0)
      throw new EngineUnavailableError(`no engine is configured for role ${call.role}`);
    const target: AttemptTarget = {
      role: call.role,
      server: instances[0]!.spec.name,
      tool: call.tool,
      args: call.input,
      idempotencyKey: call.idempotencyKey,
      runId: call.runId,
      stepKey: call.stepKey,
    };
    return this.runAttempts<CallToolResult, Record<string, unknown>>(
      instances,
      target,
      CallToolResultSchema,
      ctx,
      (result, instance) => {
        if (result.isError === true) {
          return { outcome: 'tool_error', error: this.toolError(target.tool, instance, result) };
        }
        const output = contract.output.safeParse(result.structuredContent);
        if (!output.success) {
          const issues =
            result.structuredContent === undefined
              ? ['no structuredContent in the result']
              : formatIssues(output.error.issues);
          return {
            outcome: 'output_invalid',
            error: new OutputInvalidError(target.tool, instance.spec.name, issues),
          };
        }
        return { outcome: 'ok', value: output.data as Record<string, unknown> };
      },
    );
  }

  /**
   * Call a tool of an auxiliary MCP server. The result is returned as the server sent it, isError
   * included: auxiliary tools are offered to LLM-driven engines, which read tool errors as text.
   */
  async callAuxiliaryTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    ctx: AuxiliaryCallContext = {},
  ): Promise<CallToolResult> {
    const instance = this.auxiliaries.get(server);
    if (instance === undefined) throw new NotFoundError('auxiliary MCP server', server);
    const target: AttemptTarget = {
      role: 'auxiliary',
      server,
      tool,
      args,
      idempotencyKey: undefined,
      runId: undefined,
      stepKey: undefined,
    };
    const signal = ctx.signal ?? new AbortController().signal;
    return this.runAttempts(
      [instance],
      target,
      CallToolResultSchema,
      { signal, onProgress: ctx.onProgress },
      (result) => ({ outcome: result.isError === true ? 'tool_error' : 'ok', value: result }),
    );
  }

  describe(): ServerDescription[] {
    return this.instances.map((i) => ({
      kind: i.spec.kind,
      name: i.spec.name,
      instance: i.id,
      role: i.spec.role ?? null,
      transport: publicTransport(i.spec.transport),
      pid: i.pid,
      tools: i.tools.map((t) => t.name),
      health: i.health,
      breaker: i.breaker.state,
      inFlight: i.running,
      queued: i.queued,
      maxConcurrency: i.spec.maxConcurrency,
      restarts: i.restarts,
      lastError: i.lastError ?? null,
    }));
  }

  /** Stops health checks and closes every connection; stdio engine processes are ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.health.stop();
    this.wakeWaiters();
    await Promise.allSettled(this.instances.map((i) => i.close()));
  }

  private toolError(tool: string, instance: ServerInstance, result: CallToolResult): EngineToolError {
    const sentCode = EngineErrorCode.safeParse(result._meta?.[ERROR_CODE_META_KEY]);
    const code: ErrorCode = sentCode.success ? sentCode.data : 'ENGINE_FAILED';
    let message = resultText(result) || 'tool returned isError without a message';
    if (sentCode.success && message.startsWith(`${code}: `)) message = message.slice(code.length + 2);
    // The model calls of a failed tool call were billed all the same: carry them to the budgets.
    const usage = LlmUsageMetrics.safeParse(result._meta?.[LLM_USAGE_META_KEY]);
    return new EngineToolError(
      code,
      tool,
      instance.spec.name,
      message,
      usage.success ? usage.data : undefined,
    );
  }

  /**
   * Attempts on instances picked least-in-flight until one answers. Only lost attempts (transport
   * failure, crash, timeout) move on to another instance, with the same idempotency key; an answer,
   * even an error, ends the call.
   */
  private async runAttempts<R, T>(
    instances: readonly ServerInstance[],
    target: AttemptTarget,
    resultSchema: z.ZodType<R>,
    ctx: ToolCallContext,
    finish: (result: R, instance: ServerInstance) => Finished<T>,
  ): Promise<T> {
    if (this.closed) throw new EngineUnavailableError('the coordinator is closed');
    if (ctx.signal.aborted) throw new CallCancelledError(target.tool, ctx.signal.reason);
    const spec = instances[0]!.spec;
    const callStart = Date.now();
    const deadlineAt = callStart + spec.totalTimeoutMs;
    // The call's own signal: the caller's cancellation and the total cap (queueing and retries included).
    const callAbort = new AbortController();
    const onCallerAbort = (): void => callAbort.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onCallerAbort, { once: true });
    // The total-cap timer is only started when the call could outlive its first attempt's own timeout:
    // when it waits (for an instance or in a queue), retries, or has its timeout reset by progress.
    // A first attempt sent at once is capped by its request timeout, clamped to the total below.
    let deadlineTimer: NodeJS.Timeout | undefined;
    const armDeadline = (): void => {
      deadlineTimer ??= setTimeout(
        () =>
          callAbort.abort(
            new EngineTimeoutError(`${target.tool} exceeded its total timeout of ${spec.totalTimeoutMs} ms`),
          ),
        Math.max(0, deadlineAt - Date.now()),
      );
    };
    const params: ToolCallParams =
      target.idempotencyKey === undefined
        ? { name: target.tool, arguments: target.args }
        : {
            name: target.tool,
            arguments: target.args,
            _meta: { [IDEMPOTENCY_META_KEY]: target.idempotencyKey },
          };
    const requestBytes = jsonByteLength(target.args);
    const onProgress = ctx.onProgress;
    // Progress resets the attempt's timeout, so from then on only the total timer caps the call.
    const onprogress =
      onProgress === undefined
        ? undefined
        : (p: Progress): void => {
            armDeadline();
            onProgress({ progress: p.progress, total: p.total, message: p.message });
          };
    // attemptKeys of instances that lost an attempt of this call; made on the first loss.
    let tried: Set<string> | undefined;
    let lastFailure: { kind: Failure; error: unknown } | undefined;
    try {
      for (let attempt = 1; attempt <= this.config.maxAttempts; attempt++) {
        let acquired = this.tryAcquire(instances, tried ?? NONE_TRIED);
        const waited = acquired === undefined;
        if (acquired === undefined) {
          armDeadline();
          acquired = await this.acquire(
            instances,
            tried ?? NONE_TRIED,
            callAbort.signal,
            target.tool,
            ctx.signal,
          );
        }
        const { instance, ticket } = acquired;
        if (attempt > 1 || !instance.hasFreeSlot) armDeadline();
        const generation = instance.generation;
        const startedAt = attempt === 1 && !waited ? callStart : Date.now();
        const remainingMs = Math.max(1, deadlineAt - startedAt);
        // Without the total timer, the attempt's timeout must not run past the total cap.
        const cappedByTotal = deadlineTimer === undefined && remainingMs <= spec.timeoutMs;
        const requestOptions: RequestOptions & { signal: AbortSignal } = {
          signal: callAbort.signal,
          timeout: cappedByTotal ? remainingMs : spec.timeoutMs,
          resetTimeoutOnProgress: true,
          maxTotalTimeout: remainingMs,
          // A progress token costs the SDK about as much as a no-op call: only ask when someone listens.
          onprogress,
        };
        const attemptInfo: AttemptInfo = { instance, attempt, startedAt, requestBytes };
        let result: R;
        try {
          result = await instance.callTool(params, resultSchema, requestOptions);
        } catch (err) {
          const kind = classify(err, ctx.signal, callAbort.signal);
          if (kind === 'cancelled') {
            instance.breaker.release(ticket);
            this.emit(target, attemptInfo, 'cancelled', 0, err);
            throw new CallCancelledError(target.tool, err);
          }
          if (kind === 'invalid') {
            instance.breaker.success(ticket);
            const error = new OutputInvalidError(
              target.tool,
              instance.spec.name,
              formatIssues((err as z.core.$ZodError).issues),
            );
            this.emit(target, attemptInfo, 'output_invalid', 0, error);
            throw error;
          }
          if (kind === 'remote') {
            // The engine answered with a JSON-RPC error: it is up, the call is wrong.
            instance.breaker.success(ticket);
            this.emit(target, attemptInfo, 'tool_error', 0, err);
            throw new EngineToolError('ENGINE_FAILED', target.tool, instance.spec.name, errorMessage(err));
          }
          this.attemptLost(instance, ticket);
          tried ??= new Set();
          tried.add(instance.attemptKeyAt(generation));
          this.emit(target, attemptInfo, kind === 'transport' ? 'transport_error' : 'timeout', 0, err);
          if (kind === 'deadline' || (kind === 'timeout' && cappedByTotal)) {
            throw new EngineTimeoutError(
              `${target.tool} exceeded its total timeout of ${spec.totalTimeoutMs} ms after ${attempt} attempt(s)`,
              err,
            );
          }
          lastFailure = { kind, error: err };
          continue;
        }
        instance.breaker.success(ticket);
        const responseBytes = jsonByteLength(result);
        const outcome = finish(result, instance);
        if ('error' in outcome) {
          this.emit(target, attemptInfo, outcome.outcome, responseBytes, outcome.error);
          throw outcome.error;
        }
        this.emit(target, attemptInfo, outcome.outcome, responseBytes, undefined);
        return outcome.value;
      }
    } finally {
      if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
      ctx.signal.removeEventListener('abort', onCallerAbort);
    }
    const detail = lastFailure === undefined ? '' : `: ${errorMessage(lastFailure.error)}`;
    const message = `${target.tool} failed on ${this.config.maxAttempts} attempt(s)${detail}`;
    throw lastFailure?.kind === 'timeout'
      ? new EngineTimeoutError(message, lastFailure.error)
      : new EngineUnavailableError(message, lastFailure?.error);
  }

  private attemptLost(instance: ServerInstance, ticket: BreakerTicket): void {
    instance.breaker.failure(ticket);
    if (instance.health === 'healthy' && instance.breaker.state !== 'closed') instance.health = 'unhealthy';
  }

  /** An instance that can take the call now: connected and its breaker letting calls through. */
  private tryAcquire(
    instances: readonly ServerInstance[],
    tried: ReadonlySet<string>,
  ): { instance: ServerInstance; ticket: BreakerTicket } | undefined {
    if (this.closed) return undefined;
    const instance = pickLeastLoaded(instances, tried, this.cursor++);
    const ticket = instance?.breaker.acquire();
    return instance !== undefined && ticket !== undefined ? { instance, ticket } : undefined;
  }

  /** Waits until some instance can take the call (restarted, or its breaker half-open). */
  private async acquire(
    instances: readonly ServerInstance[],
    tried: ReadonlySet<string>,
    signal: AbortSignal,
    tool: string,
    callerSignal: AbortSignal,
  ): Promise<{ instance: ServerInstance; ticket: BreakerTicket }> {
    for (;;) {
      if (this.closed) throw new EngineUnavailableError('the coordinator is closed');
      if (signal.aborted) {
        if (callerSignal.aborted) throw new CallCancelledError(tool, callerSignal.reason);
        throw signal.reason instanceof Error ? signal.reason : new EngineTimeoutError(`${tool} timed out`);
      }
      const acquired = this.tryAcquire(instances, tried);
      if (acquired !== undefined) return acquired;
      const cooldowns = instances
        .filter((i) => i.connected && i.breaker.state === 'open')
        .map((i) => i.breaker.msUntilAvailable());
      await this.waitForChange(Math.min(100, ...cooldowns.map((ms) => ms + 1)), signal);
    }
  }

  private waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private emit(
    target: AttemptTarget,
    { instance, attempt, startedAt, requestBytes }: AttemptInfo,
    outcome: CallOutcome,
    responseBytes: number,
    error: unknown,
  ): void {
    const durationMs = Date.now() - startedAt;
    this.metrics.record(
      target.role,
      target.tool,
      instance.id,
      outcome,
      durationMs,
      requestBytes,
      responseBytes,
    );
    const sink = this.options.onCall;
    if (sink === undefined) return;
    try {
      sink({
        role: target.role,
        tool: target.tool,
        server: instance.spec.name,
        instance: instance.id,
        attempt,
        idempotencyKey: target.idempotencyKey,
        runId: target.runId,
        stepKey: target.stepKey,
        outcome,
        startedAt: new Date(startedAt).toISOString(),
        durationMs,
        requestBytes,
        responseBytes,
        error: error === undefined ? undefined : errorMessage(error),
      });
    } catch {
      // The sink's failure is the sink's business; the call's outcome stands.
    }
  }
}

function formatIssues(issues: readonly z.core.$ZodIssue[], max = 3): string[] {
  const shown = issues
    .slice(0, max)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown;
}
