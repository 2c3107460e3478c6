import { basename } from 'node:path';
import type { LlamaCppProviderConfig } from '../../config/llm.js';
import { errorMessage } from '../../contracts/errors.js';
import { LlmCancelledError, LlmError, LlmTimeoutError } from '../errors.js';
import { type GbnfSchema, toGbnfSchema } from '../schema.js';
import type {
  CallOptions,
  CompletionRequest,
  CompletionResult,
  LlmProvider,
  StopReason,
  StreamEvent,
  ToolCall,
} from '../types.js';
import { jsonFormat } from './common.js';

/** The version in package.json `optionalDependencies`; named in the "not installed" error. */
export const NODE_LLAMA_CPP_VERSION = '3.22.1';

// The slice of node-llama-cpp's API we use, typed here so the project compiles without the optional package.
type HistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };
interface Grammar {
  readonly _grammarBrand?: never;
}
interface Sequence {
  tokenMeter: { getState(): { usedInputTokens: number; usedOutputTokens: number } };
  dispose(): void;
}
interface Session {
  setChatHistory(history: HistoryItem[]): void;
  promptWithMeta(
    prompt: string,
    opts: {
      grammar?: Grammar;
      maxTokens?: number;
      temperature?: number;
      seed?: number;
      signal?: AbortSignal;
      onTextChunk?: (text: string) => void;
    },
  ): Promise<{ responseText: string; stopReason: string }>;
  dispose(): void;
}
interface Context {
  getSequence(): Sequence;
  dispose(): Promise<void>;
}
interface Model {
  createContext(opts: { contextSize: number; threads?: number; sequences?: number }): Promise<Context>;
  dispose(): Promise<void>;
}
interface Llama {
  loadModel(opts: { modelPath: string }): Promise<Model>;
  createGrammarForJsonSchema(schema: GbnfSchema): Promise<Grammar>;
  dispose(): Promise<void>;
}
interface NodeLlamaCpp {
  getLlama(opts: Record<string, unknown>): Promise<Llama>;
  LlamaChatSession: new (opts: { contextSequence: Sequence; systemPrompt?: string }) => Session;
}

/** Loads the optional `node-llama-cpp`, with an error that says how to get it. */
export async function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  try {
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    const specifier = 'node-llama-cpp';
    return (await import(specifier)) as NodeLlamaCpp;
  } catch (err) {
    throw new LlmError(
      `llama-cpp provider needs the optional dependency node-llama-cpp (npm install --save-exact node-llama-cpp@${NODE_LLAMA_CPP_VERSION}): ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

interface Loaded {
  mod: NodeLlamaCpp;
  llama: Llama;
  model: Model;
  context: Context;
}

function stopReason(reason: string, toolCalls: number): StopReason {
  if (toolCalls > 0) return 'tool_calls';
  if (reason === 'eogToken' || reason === 'stopGenerationTrigger' || reason === 'customStopTrigger')
    return 'stop';
  if (reason === 'maxTokens') return 'length';
  return 'other';
}

/**
 * A local GGUF model through node-llama-cpp. Structured output and tool calls are grammar-constrained
 * (JSON-schema grammar), so the text is always JSON of the schema's shape. With tools offered and
 * `toolChoice` other than `none`, the model must call one (a small local model is not trusted to choose).
 * Calls run one at a time on one context sequence.
 */
export class LlamaCppProvider implements LlmProvider {
  readonly type = 'llama-cpp' as const;
  readonly model: string;
  readonly constrainedDecoding = true;
  private loaded: Promise<Loaded> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly cfg: LlamaCppProviderConfig,
  ) {
    this.model = cfg.model ?? basename(cfg.modelPath);
  }

  private load(): Promise<Loaded> {
    this.loaded ??= (async () => {
      const mod = await loadNodeLlamaCpp();
      try {
        // build 'never': use the prebuilt binaries from npm; compiling needs a toolchain and network.
        const llama = await mod.getLlama({
          gpu: this.cfg.gpu,
          build: 'never',
          progressLogs: false,
          logLevel: 'error',
        });
        const model = await llama.loadModel({ modelPath: this.cfg.modelPath });
        const context = await model.createContext({
          contextSize: this.cfg.contextSize,
          sequences: 1,
          ...(this.cfg.threads ? { threads: this.cfg.threads } : {}),
        });
        return { mod, llama, model, context };
      } catch (err) {
        throw new LlmError(
          `llama-cpp(${this.name}): cannot load ${this.cfg.modelPath}: ${errorMessage(err)}`,
          {
            cause: err,
          },
        );
      }
    })();
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }

  /** Runs calls one at a time (one context sequence). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(
    req: CompletionRequest,
    opts: CallOptions,
    onText?: (t: string) => void,
  ): Promise<CompletionResult> {
    const { mod, llama, context } = await this.load();
    const format = jsonFormat(req);
    const choice = req.toolChoice ?? 'auto';
    const tools =
      !format && choice !== 'none'
        ? (req.tools ?? []).filter((t) => typeof choice !== 'object' || t.name === choice.name)
        : [];

    let grammarSchema: GbnfSchema | undefined;
    let system = req.system ?? '';
    if (format) grammarSchema = toGbnfSchema(format.schema);
    else if (tools.length > 0) {
      grammarSchema = {
        oneOf: tools.map((t) => ({
          type: 'object',
          properties: { name: { const: t.name }, arguments: toGbnfSchema(t.parameters) },
        })),
      };
      const list = tools.map(
        (t) => `- ${t.name}: ${t.description ?? ''} arguments: ${JSON.stringify(t.parameters)}`,
      );
      system =
        `${system}\n\nCall one tool by answering {"name": ..., "arguments": ...}. Tools:\n${list.join('\n')}`.trim();
    }
    const grammar = grammarSchema ? await llama.createGrammarForJsonSchema(grammarSchema) : undefined;

    const history: HistoryItem[] = system ? [{ type: 'system', text: system }] : [];
    const turns = req.messages.map((m): HistoryItem => {
      if (m.role === 'user') return { type: 'user', text: m.content };
      if (m.role === 'assistant') {
        const calls = (m.toolCalls ?? []).map((c) =>
          JSON.stringify({ name: c.name, arguments: c.arguments }),
        );
        return { type: 'model', response: [m.content || calls.join('\n')] };
      }
      return { type: 'user', text: `Result of tool ${m.name}${m.isError ? ' (error)' : ''}: ${m.content}` };
    });
    const last = turns.pop();
    if (last?.type !== 'user')
      throw new LlmError(`llama-cpp(${this.name}): the last message must be from the user or a tool`);

    const timeout = AbortSignal.timeout(this.cfg.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const sequence = context.getSequence();
    const session = new mod.LlamaChatSession({ contextSequence: sequence, systemPrompt: system });
    try {
      session.setChatHistory([...history, ...turns]);
      const temperature = req.temperature ?? this.cfg.temperature ?? 0;
      const out = await session.promptWithMeta(last.text, {
        ...(grammar ? { grammar } : {}),
        maxTokens: req.maxTokens ?? this.cfg.maxTokens,
        temperature,
        ...(this.cfg.seed !== undefined ? { seed: this.cfg.seed } : {}),
        signal,
        ...(onText ? { onTextChunk: onText } : {}),
      });
      const meter = sequence.tokenMeter.getState();
      const usage = { inputTokens: meter.usedInputTokens, outputTokens: meter.usedOutputTokens };
      const text = out.responseText;
      let toolCalls: ToolCall[] = [];
      if (tools.length > 0) {
        try {
          const call = JSON.parse(text) as { name: string; arguments: Record<string, unknown> };
          toolCalls = [{ id: 'call_0', name: call.name, arguments: call.arguments ?? {} }];
        } catch {
          // Cut off by maxTokens: no call; the stop reason says why.
        }
      }
      return {
        text: toolCalls.length > 0 ? '' : text,
        toolCalls,
        ...(format ? { json: text } : {}),
        usage,
        stopReason: stopReason(out.stopReason, toolCalls.length),
        model: this.model,
      };
    } catch (err) {
      if (opts.signal?.aborted) throw new LlmCancelledError();
      if (timeout.aborted) throw new LlmTimeoutError(this.cfg.timeoutMs);
      if (err instanceof LlmError) throw err;
      throw new LlmError(`llama-cpp(${this.name}): ${errorMessage(err)}`, { cause: err });
    } finally {
      session.dispose();
      sequence.dispose();
    }
  }

  complete(req: CompletionRequest, opts: CallOptions = {}): Promise<CompletionResult> {
    return this.exclusive(() => this.run(req, opts));
  }

  async *stream(req: CompletionRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    // Bridges node-llama-cpp's text callback to an async iterator.
    const pending: string[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const done = this.exclusive(() =>
      this.run(req, opts, (t) => {
        pending.push(t);
        wake?.();
      }),
    ).finally(() => {
      finished = true;
      wake?.();
    });
    done.catch(() => {});
    while (true) {
      while (pending.length > 0) yield { type: 'text', delta: pending.shift()! };
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (pending.length > 0 || finished) resolve();
      });
      wake = undefined;
    }
    const result = await done;
    for (const call of result.toolCalls) yield { type: 'tool_call', call };
    yield { type: 'done', result };
  }

  async close(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    if (!loaded) return;
    const l = await loaded.catch(() => undefined);
    if (!l) return;
    await l.context.dispose();
    await l.model.dispose();
    await l.llama.dispose();
  }
}
