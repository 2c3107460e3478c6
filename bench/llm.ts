/**
 * LLM orchestration overhead and cost accounting, on the replay provider (no model, no network).
 * Baseline: the replay provider answering the recorded request directly. Measured: the same answer
 * through the requirements engine's LLM brain (prompt, JSON schema, LlmClient retries/metering,
 * validation, usage metrics). Accounting: the meter's totals must equal the cassette's recorded usage
 * times the calls made, priced from the config, exactly.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { EngineLlmConfig } from '../src/config/engine-llm.js';
import { createRequirementsLlmBrain } from '../src/engines/requirements/llm.js';
import { type CompletionRequest, createLlm } from '../src/llm/index.js';
import { CASSETTE, REQUIREMENT, replayConfig } from '../test/fixtures/llm/full-run.js';

const ITERATIONS = 200;

interface Entry {
  request: CompletionRequest;
  result: { usage: { inputTokens: number; outputTokens: number } };
}

export default async function (): Promise<void> {
  const cfg = EngineLlmConfig.parse(replayConfig().llm);
  const env = { CI: '1' };
  const llm = createLlm(cfg, { env })!;
  const client = llm.forEngine('requirements')!;
  const provider = llm.provider('tape');
  const entries = Object.values(
    (JSON.parse(readFileSync(CASSETTE, 'utf8')) as { entries: Record<string, Entry> }).entries,
  );
  const recorded = entries[0]!;
  const brain = createRequirementsLlmBrain({ role: 'requirements', client, fallback: 'fail', secrets: [] });
  const ctx = (i: number) => ({
    idempotencyKey: `bench:requirements:${i}`,
    signal: new AbortController().signal,
    progress: async () => {},
  });
  const viaBrain = async (i: number) => {
    try {
      await brain.requirements_analyze!({ text: REQUIREMENT }, ctx(i));
    } catch {
      // The recorded tiny-model answer is cut off, so the brain rejects it: that is the path measured.
    }
  };
  // Warm up both paths (module loads, schema conversion, cassette read).
  await provider.complete(recorded.request);
  await viaBrain(0);
  const callsBefore = llm.meter.total().calls;

  const t0 = performance.now();
  for (let i = 0; i < ITERATIONS; i++) await provider.complete(recorded.request);
  const directMs = (performance.now() - t0) / ITERATIONS;
  const t1 = performance.now();
  for (let i = 1; i <= ITERATIONS; i++) await viaBrain(i);
  const brainMs = (performance.now() - t1) / ITERATIONS;

  const totals = llm.meter.total();
  const calls = totals.calls - callsBefore;
  const price = cfg.prices['tape/tiny-random-llama']!;
  const { inputTokens, outputTokens } = recorded.result.usage;
  let expectedCost = 0;
  for (let i = 0; i < ITERATIONS + 1; i++)
    expectedCost += (inputTokens * price.inputPerMTok + outputTokens * price.outputPerMTok) / 1_000_000;
  const accounting = {
    calls,
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    costUsd: totals.costUsd,
    expectedInputTokens: inputTokens * (ITERATIONS + 1),
    expectedOutputTokens: outputTokens * (ITERATIONS + 1),
    expectedCostUsd: expectedCost,
  };
  const matches =
    calls === ITERATIONS &&
    accounting.inputTokens === accounting.expectedInputTokens &&
    accounting.outputTokens === accounting.expectedOutputTokens &&
    accounting.costUsd === accounting.expectedCostUsd;
  await llm.close();
  console.log(
    JSON.stringify({
      bench: 'llm',
      iterations: ITERATIONS,
      directReplayMsPerCall: Number(directMs.toFixed(4)),
      brainMsPerCall: Number(brainMs.toFixed(4)),
      overheadRatio: Number((brainMs / directMs).toFixed(2)),
      overheadMsPerCall: Number((brainMs - directMs).toFixed(4)),
      accounting,
      accountingMatchesCassette: matches,
    }),
  );
  if (!matches) process.exitCode = 1;
}
