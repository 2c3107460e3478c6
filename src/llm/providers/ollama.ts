import { z } from 'zod';
import type { OllamaProviderConfig } from '../../config/llm.js';
import { LlmError } from '../errors.js';
import { type HttpTarget, ndjsonLines, postJson, readJson, requestSignal } from '../http.js';
import { redactSecrets } from '../redact.js';
import type {
  CallOptions,
  CompletionRequest,
  CompletionResult,
  LlmProvider,
  StopReason,
  StreamEvent,
  ToolCall,
} from '../types.js';
import { jsonFormat, parseWire } from './common.js';

// Ollama /api/chat wire shapes, only what we read.
const WireToolCall = z.object({
  id: z.string().optional(),
  function: z.object({ name: z.string(), arguments: z.record(z.string(), z.unknown()).default({}) }),
});
const WireChunk = z.object({
  model: z.string().optional(),
  message: z
    .object({ content: z.string().default(''), tool_calls: z.array(WireToolCall).nullish() })
    .optional(),
  done: z.boolean(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().optional(),
  eval_count: z.number().optional(),
  error: z.string().optional(),
});

function stopReason(reason: string | null | undefined, calls: number): StopReason {
  if (calls > 0) return 'tool_calls';
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  return 'other';
}

/** Ollama's native chat API: JSON-schema `format` (grammar-constrained in Ollama), NDJSON streaming. */
export class OllamaProvider implements LlmProvider {
  readonly type = 'ollama' as const;
  readonly model: string;
  readonly constrainedDecoding = true;
  private readonly target: HttpTarget;

  constructor(
    readonly name: string,
    private readonly cfg: OllamaProviderConfig,
    apiKey: string | undefined,
  ) {
    this.model = cfg.model;
    this.target = {
      label: `ollama(${name})`,
      baseUrl: cfg.baseUrl,
      // Plain Ollama has no auth; a key is for Ollama behind a proxy.
      headers: { ...cfg.headers, ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      timeoutMs: cfg.timeoutMs,
      secrets: apiKey ? [apiKey] : [],
    };
  }

  private body(req: CompletionRequest, stream: boolean): Record<string, unknown> {
    const messages: Record<string, unknown>[] = [];
    if (req.system) messages.push({ role: 'system', content: req.system });
    for (const m of req.messages) {
      if (m.role === 'user') messages.push({ role: 'user', content: m.content });
      else if (m.role === 'assistant') {
        messages.push({
          role: 'assistant',
          content: m.content,
          ...(m.toolCalls?.length
            ? { tool_calls: m.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
            : {}),
        });
      } else messages.push({ role: 'tool', content: m.content, tool_name: m.name });
    }
    const options: Record<string, unknown> = { num_predict: req.maxTokens ?? this.cfg.maxTokens };
    const temperature = req.temperature ?? this.cfg.temperature;
    if (temperature !== undefined) options.temperature = temperature;
    const body: Record<string, unknown> = { model: this.model, messages, stream, options };
    const choice = req.toolChoice ?? 'auto';
    // Ollama has no tool_choice: "none" sends no tools, a named choice sends only that tool.
    if (req.tools?.length && choice !== 'none') {
      const tools = typeof choice === 'object' ? req.tools.filter((t) => t.name === choice.name) : req.tools;
      body.tools = tools.map((t) => ({
        type: 'function',
        function: { name: t.name, description: t.description ?? '', parameters: t.parameters },
      }));
    }
    const format = jsonFormat(req);
    if (format) body.format = format.schema;
    if (this.cfg.keepAlive !== undefined) body.keep_alive = this.cfg.keepAlive;
    return body;
  }

  private calls(wire: z.output<typeof WireToolCall>[] | null | undefined, offset: number): ToolCall[] {
    return (wire ?? []).map((c, i) => ({
      id: c.id ?? `call_${offset + i}`,
      name: c.function.name,
      arguments: c.function.arguments,
    }));
  }

  private checkError(chunk: z.output<typeof WireChunk>): void {
    if (chunk.error)
      throw new LlmError(`${this.target.label}: ${redactSecrets(chunk.error, this.target.secrets)}`);
  }

  async complete(req: CompletionRequest, opts: CallOptions = {}): Promise<CompletionResult> {
    const rs = requestSignal(this.target, opts.signal);
    const res = await postJson(this.target, '/api/chat', this.body(req, false), rs);
    const wire = parseWire(this.target, WireChunk, await readJson(this.target, res, rs), 'response');
    this.checkError(wire);
    const text = wire.message?.content ?? '';
    const toolCalls = this.calls(wire.message?.tool_calls, 0);
    return {
      text,
      toolCalls,
      ...(jsonFormat(req) ? { json: text } : {}),
      usage: { inputTokens: wire.prompt_eval_count ?? 0, outputTokens: wire.eval_count ?? 0 },
      stopReason: stopReason(wire.done_reason, toolCalls.length),
      model: wire.model ?? this.model,
    };
  }

  async *stream(req: CompletionRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const rs = requestSignal(this.target, opts.signal);
    const res = await postJson(this.target, '/api/chat', this.body(req, true), rs);
    let text = '';
    const toolCalls: ToolCall[] = [];
    let last: z.output<typeof WireChunk> | undefined;
    for await (const line of ndjsonLines(this.target, res, rs)) {
      const chunk = parseWire(this.target, WireChunk, line, 'stream line');
      this.checkError(chunk);
      last = chunk;
      const delta = chunk.message?.content ?? '';
      if (delta) {
        text += delta;
        yield { type: 'text', delta };
      }
      for (const call of this.calls(chunk.message?.tool_calls, toolCalls.length)) {
        toolCalls.push(call);
        yield { type: 'tool_call', call };
      }
      if (chunk.done) break;
    }
    if (!last?.done)
      throw new LlmError(`${this.target.label}: stream ended before done`, { retryable: true });
    yield {
      type: 'done',
      result: {
        text,
        toolCalls,
        ...(jsonFormat(req) ? { json: text } : {}),
        usage: { inputTokens: last.prompt_eval_count ?? 0, outputTokens: last.eval_count ?? 0 },
        stopReason: stopReason(last.done_reason, toolCalls.length),
        model: last.model ?? this.model,
      },
    };
  }
}
