import { z } from 'zod';
import type { AnthropicProviderConfig } from '../../config/llm.js';
import { LlmError } from '../errors.js';
import {
  type HttpTarget,
  parseToolArguments,
  postJson,
  readJson,
  requestSignal,
  sseEvents,
} from '../http.js';
import { redactSecrets } from '../redact.js';
import type {
  CallOptions,
  CompletionRequest,
  CompletionResult,
  JsonSchema,
  LlmProvider,
  StopReason,
  StreamEvent,
  ToolCall,
} from '../types.js';
import { jsonFormat, parseWire } from './common.js';

// Messages API wire shapes, only what we read.
const WireBlock = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  z.object({ type: z.string() }),
]);
const WireUsage = z.object({ input_tokens: z.number().default(0), output_tokens: z.number().default(0) });
const WireMessage = z.object({
  model: z.string().optional(),
  content: z.array(WireBlock),
  stop_reason: z.string().nullish(),
  usage: WireUsage,
});
const WireEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('message_start'),
    message: z.object({ model: z.string().optional(), usage: WireUsage }),
  }),
  z.object({
    type: z.literal('content_block_start'),
    index: z.number(),
    content_block: z.object({ type: z.string(), id: z.string().optional(), name: z.string().optional() }),
  }),
  z.object({
    type: z.literal('content_block_delta'),
    index: z.number(),
    delta: z.object({ type: z.string(), text: z.string().optional(), partial_json: z.string().optional() }),
  }),
  z.object({ type: z.literal('content_block_stop'), index: z.number() }),
  z.object({
    type: z.literal('message_delta'),
    delta: z.object({ stop_reason: z.string().nullish() }),
    usage: z.object({ output_tokens: z.number(), input_tokens: z.number().nullish() }).optional(),
  }),
  z.object({ type: z.literal('message_stop') }),
  z.object({ type: z.literal('ping') }),
  z.object({ type: z.literal('error'), error: z.object({ type: z.string(), message: z.string() }) }),
]);

function stopReason(reason: string | null | undefined): StopReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'tool_use') return 'tool_calls';
  return 'other';
}

/** Tool input schemas must be objects; anything else travels wrapped in `{ value }`. */
const WRAP_KEY = 'value';
function toolInputSchema(schema: JsonSchema): { schema: JsonSchema; wrapped: boolean } {
  if (schema.type === 'object') return { schema, wrapped: false };
  return {
    schema: { type: 'object', properties: { [WRAP_KEY]: schema }, required: [WRAP_KEY] },
    wrapped: true,
  };
}

/**
 * Anthropic Messages API. Structured output is a single forced tool whose `input_schema` is the schema;
 * its input is the answer.
 */
export class AnthropicProvider implements LlmProvider {
  readonly type = 'anthropic' as const;
  readonly model: string;
  readonly constrainedDecoding = false;
  private readonly target: HttpTarget;

  constructor(
    readonly name: string,
    private readonly cfg: AnthropicProviderConfig,
    apiKey: string,
  ) {
    this.model = cfg.model;
    this.target = {
      label: `anthropic(${name})`,
      baseUrl: cfg.baseUrl,
      headers: { ...cfg.headers, 'x-api-key': apiKey, 'anthropic-version': cfg.version },
      timeoutMs: cfg.timeoutMs,
      secrets: [apiKey],
    };
  }

  private body(req: CompletionRequest, stream: boolean): { body: Record<string, unknown>; wrapped: boolean } {
    type Block = Record<string, unknown>;
    const messages: { role: 'user' | 'assistant'; content: Block[] }[] = [];
    // Consecutive turns of one role are merged: tool results must sit in one user turn after the tool calls.
    const push = (role: 'user' | 'assistant', blocks: Block[]) => {
      const last = messages.at(-1);
      if (last?.role === role) last.content.push(...blocks);
      else messages.push({ role, content: blocks });
    };
    for (const m of req.messages) {
      if (m.role === 'user') push('user', [{ type: 'text', text: m.content }]);
      else if (m.role === 'assistant') {
        const blocks: Block[] = m.content ? [{ type: 'text', text: m.content }] : [];
        for (const c of m.toolCalls ?? [])
          blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
        push('assistant', blocks);
      } else {
        push('user', [
          {
            type: 'tool_result',
            tool_use_id: m.toolCallId,
            content: m.content,
            ...(m.isError ? { is_error: true } : {}),
          },
        ]);
      }
    }
    const body: Record<string, unknown> = {
      model: this.model,
      max_tokens: req.maxTokens ?? this.cfg.maxTokens,
      messages,
    };
    if (req.system) body.system = req.system;
    const temperature = req.temperature ?? this.cfg.temperature;
    if (temperature !== undefined) body.temperature = Math.min(temperature, 1);
    const tools = (req.tools ?? []).map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      input_schema: t.parameters,
    }));
    let wrapped = false;
    const format = jsonFormat(req);
    if (format) {
      const input = toolInputSchema(format.schema);
      wrapped = input.wrapped;
      tools.push({
        name: format.name,
        description: 'Return the answer as this tool input.',
        input_schema: input.schema,
      });
      body.tool_choice = { type: 'tool', name: format.name };
    } else if (tools.length > 0) {
      const choice = req.toolChoice ?? 'auto';
      body.tool_choice =
        choice === 'auto'
          ? { type: 'auto' }
          : choice === 'none'
            ? { type: 'none' }
            : choice === 'required'
              ? { type: 'any' }
              : { type: 'tool', name: choice.name };
    }
    if (tools.length > 0) body.tools = tools;
    if (stream) body.stream = true;
    return { body, wrapped };
  }

  /** Splits the forced structured-output tool call (if any) from real tool calls. */
  private finish(
    req: CompletionRequest,
    wrapped: boolean,
    text: string,
    calls: ToolCall[],
    usage: { inputTokens: number; outputTokens: number },
    reason: string | null | undefined,
    model: string,
  ): CompletionResult {
    const format = jsonFormat(req);
    let json: string | undefined;
    if (format) {
      const answer = calls.find((c) => c.name === format.name);
      if (answer) json = JSON.stringify(wrapped ? answer.arguments[WRAP_KEY] : answer.arguments);
      else json = text; // A model that ignored the forced tool: its text is validated (and likely repaired).
    }
    return {
      text,
      toolCalls: calls,
      ...(json !== undefined ? { json } : {}),
      usage,
      stopReason: stopReason(reason),
      model,
    };
  }

  async complete(req: CompletionRequest, opts: CallOptions = {}): Promise<CompletionResult> {
    const rs = requestSignal(this.target, opts.signal);
    const { body, wrapped } = this.body(req, false);
    const res = await postJson(this.target, '/v1/messages', body, rs);
    const wire = parseWire(this.target, WireMessage, await readJson(this.target, res, rs), 'response');
    const usage = { inputTokens: wire.usage.input_tokens, outputTokens: wire.usage.output_tokens };
    let text = '';
    const calls: ToolCall[] = [];
    for (const block of wire.content) {
      if (block.type === 'text' && 'text' in block) text += block.text;
      else if (block.type === 'tool_use' && 'input' in block) {
        const input = block.input;
        if (!input || typeof input !== 'object' || Array.isArray(input)) {
          throw new LlmError(`${this.target.label}: tool_use input is not an object`, { usage });
        }
        calls.push({ id: block.id, name: block.name, arguments: input as Record<string, unknown> });
      }
    }
    return this.finish(req, wrapped, text, calls, usage, wire.stop_reason, wire.model ?? this.model);
  }

  async *stream(req: CompletionRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const rs = requestSignal(this.target, opts.signal);
    const { body, wrapped } = this.body(req, true);
    const res = await postJson(this.target, '/v1/messages', body, rs);
    const format = jsonFormat(req);
    let text = '';
    let model = this.model;
    let reason: string | null | undefined;
    const usage = { inputTokens: 0, outputTokens: 0 };
    const blocks = new Map<
      number,
      { kind: 'text' } | { kind: 'tool'; id: string; name: string; json: string }
    >();
    const calls: ToolCall[] = [];
    for await (const sse of sseEvents(res, rs)) {
      let data: unknown;
      try {
        data = JSON.parse(sse.data);
      } catch {
        throw new LlmError(`${this.target.label}: stream event is not JSON`);
      }
      const ev = parseWire(this.target, WireEvent, data, `stream event ${sse.event ?? ''}`);
      switch (ev.type) {
        case 'message_start':
          model = ev.message.model ?? model;
          usage.inputTokens = ev.message.usage.input_tokens;
          usage.outputTokens = ev.message.usage.output_tokens;
          break;
        case 'content_block_start':
          if (ev.content_block.type === 'tool_use') {
            blocks.set(ev.index, {
              kind: 'tool',
              id: ev.content_block.id ?? `toolu_${ev.index}`,
              name: ev.content_block.name ?? '',
              json: '',
            });
          } else blocks.set(ev.index, { kind: 'text' });
          break;
        case 'content_block_delta': {
          const block = blocks.get(ev.index);
          if (ev.delta.type === 'text_delta' && ev.delta.text) {
            text += ev.delta.text;
            yield { type: 'text', delta: ev.delta.text };
          } else if (ev.delta.type === 'input_json_delta' && block?.kind === 'tool') {
            block.json += ev.delta.partial_json ?? '';
          }
          break;
        }
        case 'content_block_stop': {
          const block = blocks.get(ev.index);
          if (block?.kind === 'tool') {
            const call = {
              id: block.id,
              name: block.name,
              arguments: parseToolArguments(this.target.label, block.json),
            };
            calls.push(call);
            // The forced structured-output tool is the answer, not a tool the caller offered.
            if (call.name !== format?.name) yield { type: 'tool_call', call };
          }
          break;
        }
        case 'message_delta':
          reason = ev.delta.stop_reason ?? reason;
          if (ev.usage) {
            usage.outputTokens = ev.usage.output_tokens;
            if (typeof ev.usage.input_tokens === 'number') usage.inputTokens = ev.usage.input_tokens;
          }
          break;
        case 'error':
          throw new LlmError(
            `${this.target.label}: stream error ${ev.error.type}: ${redactSecrets(ev.error.message, this.target.secrets)}`,
            { retryable: ev.error.type === 'overloaded_error' },
          );
        default:
          break;
      }
    }
    yield { type: 'done', result: this.finish(req, wrapped, text, calls, usage, reason, model) };
  }
}
