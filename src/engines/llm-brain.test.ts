import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequirementsSpec } from '../contracts/requirements.js';
import { type FakeServer, json, startFakeServer } from '../llm/testing/fake-server.js';
import { createArchitectureLlmBrain } from './architecture/llm.js';
import type { EngineToolContext } from './brain.js';
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
