import { z } from 'zod';
import type { OpenAiProviderConfig } from '../../config/llm.js';
import { LlmError } from '../errors.js';
import {
  type HttpTarget,
  parseToolArguments,
  postJson,
  readJson,
  requestSignal,
  sseEvents,
} from '../http.js';
import { openAiStrictSchema } from '../schema.js';
import type {
  CallOptions,
  CompletionRequest,
  CompletionResult,
  LlmProvider,
  StopReason,
  StreamEvent,
  ToolCall,
} from '../types.js';
import { joinSystem, jsonFormat, parseWire, schemaInstruction } from './common.js';

// Wire shapes (Chat Completions). Only what we read; servers add fields freely.
const WireToolCall = z.object({
  id: z.string().optional(),
  type: z.string().optional(),
  function: z.object({ name: z.string(), arguments: z.string().nullish() }),
});
const WireUsage = z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).nullish();
const WireResponse = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z.array(WireToolCall).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: WireUsage,
});
const WireChunk = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number(),
                  id: z.string().nullish(),
                  function: z
                    .object({ name: z.string().nullish(), arguments: z.string().nullish() })
                    .nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
  usage: WireUsage,
});

function stopReason(finish: string | null | undefined): StopReason {
  if (finish === 'stop') return 'stop';
  if (finish === 'length') return 'length';
  if (finish === 'tool_calls' || finish === 'function_call') return 'tool_calls';
  return 'other';
}

/** Any OpenAI-compatible Chat Completions endpoint. */
export class OpenAiProvider implements LlmProvider {
  readonly type = 'openai' as const;
  readonly model: string;
  readonly constrainedDecoding: boolean;
  private readonly target: HttpTarget;

  constructor(
    readonly name: string,
    private readonly cfg: OpenAiProviderConfig,
    apiKey: string | undefined,
  ) {
    this.model = cfg.model;
    this.constrainedDecoding = cfg.structuredOutput === 'json_schema';
    const auth: Record<string, string> = {};
    if (apiKey) {
      if (cfg.apiKeyHeader === 'api-key') auth['api-key'] = apiKey;
      else auth.authorization = `Bearer ${apiKey}`;
    }
    this.target = {
      label: `openai(${name})`,
      baseUrl: cfg.baseUrl,
      headers: { ...cfg.headers, ...auth },
      timeoutMs: cfg.timeoutMs,
      secrets: apiKey ? [apiKey] : [],
      query: cfg.query,
    };
  }

  private body(req: CompletionRequest, stream: boolean): Record<string, unknown> {
    const format = jsonFormat(req);
    const jsonObjectMode = format !== undefined && this.cfg.structuredOutput === 'json_object';
    const system = joinSystem(req.system, jsonObjectMode ? schemaInstruction(format.schema) : undefined);
    const messages: Record<string, unknown>[] = [];
    if (system !== undefined) messages.push({ role: 'system', content: system });
    for (const m of req.messages) {
      if (m.role === 'user') messages.push({ role: 'user', content: m.content });
      else if (m.role === 'assistant') {
        messages.push({
          role: 'assistant',
          content: m.content === '' && m.toolCalls?.length ? null : m.content,
          ...(m.toolCalls?.length
            ? {
                tool_calls: m.toolCalls.map((c) => ({
                  id: c.id,
                  type: 'function',
                  function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                })),
              }
            : {}),
        });
      } else messages.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
    }
    const body: Record<string, unknown> = {
      model: this.model,
      messages,
      max_tokens: req.maxTokens ?? this.cfg.maxTokens,
    };
    const temperature = req.temperature ?? this.cfg.temperature;
    if (temperature !== undefined) body.temperature = temperature;
    if (req.tools?.length) {
      body.tools = req.tools.map((t) => ({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.parameters },
      }));
      const choice = req.toolChoice ?? 'auto';
      body.tool_choice =
        typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
    }
    if (format) {
      if (jsonObjectMode) body.response_format = { type: 'json_object' };
      else {
        const { schema, strict } = openAiStrictSchema(format.schema);
        body.response_format = { type: 'json_schema', json_schema: { name: format.name, schema, strict } };
      }
    }
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return body;
  }

  async complete(req: CompletionRequest, opts: CallOptions = {}): Promise<CompletionResult> {
    const rs = requestSignal(this.target, opts.signal);
    const res = await postJson(this.target, '/chat/completions', this.body(req, false), rs);
    const wire = parseWire(this.target, WireResponse, await readJson(this.target, res, rs), 'response');
    const choice = wire.choices[0]!;
    const usage = {
      inputTokens: wire.usage?.prompt_tokens ?? 0,
      outputTokens: wire.usage?.completion_tokens ?? 0,
    };
    if (choice.message.refusal)
      throw new LlmError(`${this.target.label}: model refused: ${choice.message.refusal}`, { usage });
    const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((c, i) => ({
      id: c.id ?? `call_${i}`,
      name: c.function.name,
      arguments: parseToolArguments(this.target.label, c.function.arguments, usage),
    }));
    const text = choice.message.content ?? '';
    return {
      text,
      toolCalls,
      ...(jsonFormat(req) ? { json: text } : {}),
      usage,
      stopReason: stopReason(choice.finish_reason),
      model: wire.model ?? this.model,
    };
  }

  async *stream(req: CompletionRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const rs = requestSignal(this.target, opts.signal);
    const res = await postJson(this.target, '/chat/completions', this.body(req, true), rs);
    let text = '';
    let model = this.model;
    let finish: string | null | undefined;
    let usage = { inputTokens: 0, outputTokens: 0 };
    const partial = new Map<number, { id: string; name: string; args: string }>();
    for await (const event of sseEvents(res, rs)) {
      if (event.data === '[DONE]') break;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        throw new LlmError(`${this.target.label}: stream event is not JSON`);
      }
      if (data && typeof data === 'object' && 'error' in data) {
        const parsed = parseWire(
          this.target,
          z.object({ error: z.object({ message: z.string() }) }),
          data,
          'error',
        );
        throw new LlmError(`${this.target.label}: stream error: ${parsed.error.message}`, {
          retryable: false,
        });
      }
      const chunk = parseWire(this.target, WireChunk, data, 'stream chunk');
      if (chunk.model) model = chunk.model;
      if (chunk.usage) {
        usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
      }
      for (const choice of chunk.choices) {
        if (choice.finish_reason) finish = choice.finish_reason;
        const delta = choice.delta;
        if (delta?.content) {
          text += delta.content;
          yield { type: 'text', delta: delta.content };
        }
        for (const tc of delta?.tool_calls ?? []) {
          const cur = partial.get(tc.index) ?? { id: '', name: '', args: '' };
          if (tc.id) cur.id = tc.id;
          if (tc.function?.name) cur.name += tc.function.name;
          if (tc.function?.arguments) cur.args += tc.function.arguments;
          partial.set(tc.index, cur);
        }
      }
    }
    const toolCalls: ToolCall[] = [...partial.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, c]) => ({
        id: c.id || `call_${i}`,
        name: c.name,
        arguments: parseToolArguments(this.target.label, c.args),
      }));
    for (const call of toolCalls) yield { type: 'tool_call', call };
    yield {
      type: 'done',
      result: {
        text,
        toolCalls,
        ...(jsonFormat(req) ? { json: text } : {}),
        usage,
        stopReason: stopReason(finish),
        model,
      },
    };
  }
}
