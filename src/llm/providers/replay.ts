import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { LlmCassetteMissError, LlmError } from '../errors.js';
import type {
  CallOptions,
  CompletionRequest,
  CompletionResult,
  LlmProvider,
  ProviderType,
  StreamEvent,
} from '../types.js';

export type ReplayMode = 'record' | 'replay' | 'auto';

const Usage = z.object({ inputTokens: z.number(), outputTokens: z.number() });
const ToolCall = z.object({ id: z.string(), name: z.string(), arguments: z.record(z.string(), z.unknown()) });
const Result = z.object({
  text: z.string(),
  toolCalls: z.array(ToolCall),
  json: z.string().optional(),
  usage: Usage,
  stopReason: z.enum(['stop', 'length', 'tool_calls', 'other']),
  model: z.string(),
});
const Entry = z.object({
  provider: z.string(),
  model: z.string(),
  kind: z.enum(['complete', 'stream']),
  /** Kept for people reading a cassette diff; the key is what matches. */
  request: z.unknown(),
  result: Result,
  /** Stream events before `done`, for stream recordings. */
  events: z
    .array(
      z.union([
        z.object({ type: z.literal('text'), delta: z.string() }),
        z.object({ type: z.literal('tool_call'), call: ToolCall }),
      ]),
    )
    .optional(),
  recordedAt: z.string(),
});
type Entry = z.output<typeof Entry>;
const Cassette = z.object({ version: z.literal(1), entries: z.record(z.string(), Entry) });
type Cassette = z.output<typeof Cassette>;

/** JSON with object keys sorted and undefined dropped, so equal requests hash equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}

export function cassetteKey(
  provider: string,
  model: string,
  kind: 'complete' | 'stream',
  req: CompletionRequest,
): string {
  const hash = createHash('sha256')
    .update(stableStringify({ provider, model, kind, request: req }))
    .digest('hex');
  return hash.slice(0, 32);
}

/** `CI` counts when set to anything but empty, `0` or `false`. */
function inCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export interface ReplayOptions {
  cassette: string;
  mode: ReplayMode;
  /** The provider that really answers when recording. */
  inner?: LlmProvider;
  /** Key parts when there is no inner provider. */
  provider?: ProviderType;
  model?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Records real answers to a cassette file and replays them. One JSON file per cassette, entries keyed by
 * a hash of provider type + model + call kind + request. With `CI` set a miss is always an error.
 */
export class ReplayProvider implements LlmProvider {
  readonly type = 'replay' as const;
  readonly model: string;
  readonly constrainedDecoding: boolean;
  readonly cassettePath: string;
  private readonly keyProvider: string;
  private readonly env: NodeJS.ProcessEnv;
  private data: Promise<Cassette> | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly opts: ReplayOptions,
  ) {
    const model = opts.inner?.model ?? opts.model;
    const provider = opts.inner?.type ?? opts.provider;
    if (model === undefined || provider === undefined) {
      throw new LlmError(`replay(${name}): needs an inner provider, or provider and model`, {
        code: 'CONFIG_INVALID',
      });
    }
    this.model = model;
    this.keyProvider = provider;
    this.constrainedDecoding = opts.inner?.constrainedDecoding ?? false;
    this.cassettePath = resolve(opts.cassette);
    this.env = opts.env ?? process.env;
  }

  private load(): Promise<Cassette> {
    this.data ??= (async () => {
      let text: string;
      try {
        text = await readFile(this.cassettePath, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1 as const, entries: {} };
        throw err;
      }
      const r = Cassette.safeParse(JSON.parse(text));
      if (!r.success)
        throw new LlmError(
          `replay(${this.name}): cassette ${this.cassettePath} is invalid: ${r.error.message}`,
        );
      return r.data;
    })();
    return this.data;
  }

  private async save(key: string, entry: Entry): Promise<void> {
    const data = await this.load();
    data.entries[key] = entry;
    // Serialized and atomic: concurrent calls never interleave writes or leave half a file.
    this.writes = this.writes.then(async () => {
      await mkdir(dirname(this.cassettePath), { recursive: true });
      const tmp = `${this.cassettePath}.${process.pid}.tmp`;
      const sorted = Object.fromEntries(Object.entries(data.entries).sort(([a], [b]) => (a < b ? -1 : 1)));
      await writeFile(tmp, `${JSON.stringify({ version: 1, entries: sorted }, null, 2)}\n`);
      await rename(tmp, this.cassettePath);
    });
    await this.writes;
  }

  /** The recording for `key`, or undefined when this call should be recorded; throws on a miss that may not record. */
  private async lookup(key: string): Promise<Entry | undefined> {
    if (this.opts.mode === 'record') {
      if (inCi(this.env))
        throw new LlmCassetteMissError(key, this.cassettePath, 'record mode is refused when CI is set');
      return undefined;
    }
    const hit = (await this.load()).entries[key];
    if (hit) return hit;
    if (inCi(this.env))
      throw new LlmCassetteMissError(key, this.cassettePath, 'CI is set, so nothing is recorded');
    if (this.opts.mode === 'replay') throw new LlmCassetteMissError(key, this.cassettePath, 'mode is replay');
    if (!this.opts.inner)
      throw new LlmCassetteMissError(key, this.cassettePath, 'no inner provider to record from');
    return undefined;
  }

  private inner(): LlmProvider {
    if (!this.opts.inner) throw new LlmError(`replay(${this.name}): no inner provider to record from`);
    return this.opts.inner;
  }

  private entry(
    kind: Entry['kind'],
    req: CompletionRequest,
    result: CompletionResult,
    events?: Entry['events'],
  ): Entry {
    return {
      provider: this.keyProvider,
      model: this.model,
      kind,
      request: JSON.parse(JSON.stringify(req)),
      result: Result.parse(result),
      ...(events ? { events } : {}),
      recordedAt: new Date().toISOString(),
    };
  }

  /** The key this request would be stored under. */
  keyFor(kind: 'complete' | 'stream', req: CompletionRequest): string {
    return cassetteKey(this.keyProvider, this.model, kind, req);
  }

  async complete(req: CompletionRequest, opts: CallOptions = {}): Promise<CompletionResult> {
    const key = this.keyFor('complete', req);
    const hit = await this.lookup(key);
    if (hit) return structuredClone(hit.result);
    const result = await this.inner().complete(req, opts);
    await this.save(key, this.entry('complete', req, result));
    return result;
  }

  async *stream(req: CompletionRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const key = this.keyFor('stream', req);
    const hit = await this.lookup(key);
    if (hit) {
      for (const ev of hit.events ?? []) yield structuredClone(ev);
      yield { type: 'done', result: structuredClone(hit.result) };
      return;
    }
    const events: NonNullable<Entry['events']> = [];
    for await (const ev of this.inner().stream(req, opts)) {
      if (ev.type === 'done') {
        await this.save(key, this.entry('stream', req, ev.result, events));
      } else events.push(ev);
      yield ev;
    }
  }

  async close(): Promise<void> {
    await this.writes;
  }
}
