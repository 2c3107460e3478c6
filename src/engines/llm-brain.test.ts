import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODE_META_KEY, LLM_USAGE_META_KEY, LlmUsageMetrics } from '../contracts/mcp-meta.js';
import { RequirementsSpec } from '../contracts/requirements.js';
import { type FakeServer, json, startFakeServer } from '../llm/testing/fake-server.js';
import { createArchitectureLlmBrain } from './architecture/llm.js';
import { type EngineToolContext, FailedWithUsageError } from './brain.js';
import { createEngineServer } from './mcp-server.js';
import { createRequirementsLlmBrain } from './requirements/llm.js';
import { offlineBrain as requirementsOffline } from './requirements/offline.js';
import { engineLlmFor, selectBrain } from './select-brain.js';

const TEXT = 'Librarians can add books with a title and an ISBN. Members can borrow books.';

const completion = (content: string, inputTokens: number, outputTokens: number) =>
  json(200, {
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: inputTokens,
      completion_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
    },
  });

/** A spec the model might write, claiming perfect metrics that the brain must not believe. */
const modelSpec = {
  projectName: 'Library',
  language: 'en',
  actors: ['librarian'],
  entities: [
    {
      name: 'Book',
      label: 'book',
      fields: [{ name: 'title', label: 'title', type: 'string', required: true, unique: false }],
      relations: [],
    },
  ],
  requirements: [
    {
      id: 'REQ-001',
      kind: 'functional',
      text: 'Librarians can add books',
      source: 'Librarians can add books with a title and an ISBN.',
      priority: 'must',
      actor: 'librarian',
      entity: 'Book',
      action: 'create',
      acceptanceCriteria: [],
    },
  ],
  nonFunctional: [],
  techHints: [],
  openQuestions: [],
  metrics: { sentenceCoverage: 1, functionalRequirements: 99 },
};

let home: string;
let server: FakeServer;
const env = (extra: Record<string, string> = {}) => ({
  POWERAUTO_HOME: home,
  TEST_KEY: 'sk-unit-secret-42',
  ...extra,
});

async function configure(llm: Record<string, unknown>): Promise<void> {
  await writeFile(join(home, 'config.json'), JSON.stringify({ llm }));
}
const baseLlm = (fallback: 'offline' | 'fail') => ({
  fallback,
  providers: {
    fake: { type: 'openai', baseUrl: `${server.url}/v1`, model: 'gpt-test', apiKeyEnv: 'TEST_KEY' },
  },
  engines: { requirements: { provider: 'fake' }, architecture: { provider: 'fake' } },
  prices: { 'fake/gpt-test': { inputPerMTok: 1, outputPerMTok: 2 } },
  retry: { maxAttempts: 1 },
  repairAttempts: 0,
});

function ctx(messages: string[] = []): EngineToolContext {
  return {
    idempotencyKey: 'run1:requirements:1',
    signal: new AbortController().signal,
    progress: async (_p, _t, m) => {
      if (m) messages.push(m);
    },
  };
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pa-llmbrain-'));
  server = await startFakeServer();
});
afterAll(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
});

describe('brain selection', () => {
  it('keeps the offline brain when no provider is configured', async () => {
    expect(selectBrain('requirements', requirementsOffline, createRequirementsLlmBrain, env())).toBe(
      requirementsOffline,
    );
    await configure({ providers: {} });
    expect(engineLlmFor('requirements', env())).toBeUndefined();
  });

  it('picks the LLM brain only for roles the config gives a provider', async () => {
    await configure({
      ...baseLlm('offline'),
      engines: { architecture: { provider: 'fake' } },
      defaultProvider: undefined,
    });
    // One provider configured: it is every engine's default (see Llm.providerNameFor).
    expect(engineLlmFor('requirements', env())?.client.provider.name).toBe('fake');
    await configure({
      ...baseLlm('offline'),
      providers: {
        ...baseLlm('offline').providers,
        other: { type: 'openai', model: 'm2', baseUrl: `${server.url}/v1` },
      },
      engines: { architecture: { provider: 'fake' } },
    });
    expect(engineLlmFor('requirements', env())).toBeUndefined();
    expect(engineLlmFor('architecture', env())?.client.model).toBe('gpt-test');
  });
});

describe('requirements LLM brain', () => {
  it('recomputes metrics by code, records the brain and the usage', async () => {
    await configure(baseLlm('offline'));
    server.enqueue(completion(JSON.stringify(modelSpec), 1000, 500));
    const brain = selectBrain('requirements', requirementsOffline, createRequirementsLlmBrain, env());
    expect(brain).not.toBe(requirementsOffline);
    const out = RequirementsSpec.parse(await brain.requirements_analyze!({ text: TEXT }, ctx()));
    expect(out.producedBy).toEqual({ brain: 'llm', provider: 'fake', model: 'gpt-test' });
    expect(out.metrics.functionalRequirements).toBe(1);
    // One of two sentences is quoted as a source: measured, not the model's 1.
    expect(out.metrics.sentenceCoverage).toBe(0.5);
    expect(out.metrics.mustHavesWithoutAcceptanceCriteria).toBe(0);
    expect(out.metrics.llmCalls).toBe(1);
    expect(out.metrics.llmInputTokens).toBe(1000);
    expect(out.metrics.llmOutputTokens).toBe(500);
    expect(out.metrics.llmCostUsd).toBeCloseTo(0.002, 10);
    const body = server.requests.at(-1)?.body as { messages: { content: string }[] };
    expect(JSON.stringify(body.messages)).toContain('requirements analyst');
  });

  it('falls back to the offline brain, loudly, when the provider fails', async () => {
    await configure(baseLlm('offline'));
    server.enqueue(json(500, { error: { message: 'boom for sk-unit-secret-42' } }));
    const brain = selectBrain('requirements', requirementsOffline, createRequirementsLlmBrain, env());
    const messages: string[] = [];
    const out = RequirementsSpec.parse(await brain.requirements_analyze!({ text: TEXT }, ctx(messages)));
    expect(out.producedBy?.brain).toBe('offline');
    expect(out.producedBy?.fallbackReason).toMatch(/HTTP 500/);
    expect(JSON.stringify(out)).not.toContain('sk-unit-secret-42');
    expect(messages.join('\n')).toMatch(/offline brain answers/);
    const offline = RequirementsSpec.parse(
      await requirementsOffline.requirements_analyze!({ text: TEXT }, ctx()),
    );
    expect(out.requirements).toEqual(offline.requirements);
  });

  it("a failed call still reports what every attempt used, up to the MCP error result (fallback 'fail')", async () => {
    await configure({ ...baseLlm('fail'), repairAttempts: 1 });
    // Invalid twice: the answer and its one repair attempt are both billed, then LLM_OUTPUT_INVALID.
    server.enqueue(
      completion('{"projectName": 42}', 1000, 200),
      completion('{"projectName": 43}', 1300, 100),
    );
    const brain = selectBrain('requirements', requirementsOffline, createRequirementsLlmBrain, env());
    const err = await brain.requirements_analyze!({ text: TEXT }, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedWithUsageError);
    expect((err as FailedWithUsageError).code).toBe('LLM_FAILED');
    expect((err as FailedWithUsageError).message).toMatch(/LLM_OUTPUT_INVALID/);
    const spent = { llmCalls: 2, llmInputTokens: 2300, llmOutputTokens: 300 };
    expect((err as FailedWithUsageError).usage).toMatchObject(spent);
    // $1/MTok in, $2/MTok out.
    expect((err as FailedWithUsageError).usage.llmCostUsd).toBeCloseTo(0.0029, 10);

    // The engine server reports it in the error result, where the coordinator reads the code.
    server.enqueue(completion('{}', 10, 5), completion('{}', 20, 5));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createEngineServer('requirements', brain).connect(serverSide);
    const client = new Client({ name: 'test', version: '0' });
    await client.connect(clientSide);
    try {
      const result = (await client.callTool({
        name: 'requirements_analyze',
        arguments: { text: TEXT },
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(result._meta?.[ERROR_CODE_META_KEY]).toBe('LLM_FAILED');
      expect(LlmUsageMetrics.parse(result._meta?.[LLM_USAGE_META_KEY])).toMatchObject({
        llmCalls: 2,
        llmInputTokens: 30,
        llmOutputTokens: 10,
      });
    } finally {
      await client.close();
    }
  });

  it('counts a refused call in the offline answer: the provider billed it before failing', async () => {
    await configure(baseLlm('offline'));
    server.enqueue(
      json(200, {
        id: 'c2',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-test',
        choices: [
          { index: 0, message: { role: 'assistant', content: null, refusal: 'no' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 700, completion_tokens: 3, total_tokens: 703 },
      }),
    );
    const brain = selectBrain('requirements', requirementsOffline, createRequirementsLlmBrain, env());
    const out = RequirementsSpec.parse(await brain.requirements_analyze!({ text: TEXT }, ctx()));
    expect(out.producedBy?.fallbackReason).toMatch(/model refused/);
    expect(out.metrics).toMatchObject({ llmCalls: 1, llmInputTokens: 700, llmOutputTokens: 3 });
  });

  it("fails the call with fallback 'fail'", async () => {
    await configure(baseLlm('fail'));
    server.enqueue(json(500, { error: { message: 'down' } }));
    const brain = selectBrain('requirements', requirementsOffline, createRequirementsLlmBrain, env());
    await expect(brain.requirements_analyze!({ text: TEXT }, ctx())).rejects.toMatchObject({
      code: 'LLM_FAILED',
    });
  });
});

describe('architecture LLM brain', () => {
  it('validates the model OpenAPI document and traces through what exists', async () => {
    await configure(baseLlm('offline'));
    const spec = RequirementsSpec.parse(
      await requirementsOffline.requirements_analyze!({ text: TEXT }, ctx()),
    );
    const design = {
      pattern: { name: 'modular_monolith', rationale: 'small' },
      components: [{ name: 'api', responsibility: 'http', requirementIds: ['REQ-001'] }],
      techStack: [],
      dataModel: [],
      api: { openapi: '3.1.0', paths: {} },
      endpoints: [],
      deployment: {},
      security: {},
      scalability: [],
      diagrams: {},
      decisions: [],
      trace: spec.requirements.map((r) => ({
        requirementId: r.id,
        components: ['api'],
        operations: ['ghostOp'],
      })),
      openQuestions: [],
      metrics: { openapiValid: 1, mustHavesUntraced: 0 },
    };
    server.enqueue(completion(JSON.stringify(design), 10, 10));
    const engine = engineLlmFor('architecture', env())!;
    const brain = createArchitectureLlmBrain(engine);
    const out = (await brain.architecture_design!({ requirements: spec }, ctx())) as {
      metrics: Record<string, number>;
      openQuestions: string[];
    };
    expect(out.metrics.openapiValid).toBe(0);
    expect(out.openQuestions.some((q) => q.startsWith('[openapi_invalid]'))).toBe(true);
    const musts = spec.requirements.filter((r) => r.kind === 'functional' && r.priority === 'must').length;
    expect(musts).toBeGreaterThan(0);
    expect(out.metrics.mustHavesUntraced).toBe(musts);
  });
});
